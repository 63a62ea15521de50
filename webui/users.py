"""Users (guide §1–2): each extension with its SIP account (user name and password), name
and direct number; the list shows their groups and whether a phone is registered."""
from flask import Blueprint, g, request

from vpbx.live import monitor as live_monitor
from vpbx.provisioning import assignments

from . import dbconn, security
from .crud import SectionPages

bp = Blueprint("users", __name__, url_prefix="/users")
security.protect_blueprint(bp)


class UserPages(SectionPages):
    section, noun = "users", "user"
    fields = ("extension", "name", "username", "password", "direct_number")
    list_template, form_template = "users/list.html", "users/form.html"

    def values_of(self, user, config):
        return {"extension": user.extension, "name": user.name, "username": user.username,
                "direct_number": user.direct_number or ""}

    def entry_from(self, form, config, old):
        """The extension is the user's identity: it is only chosen for a new user."""
        entry = {"extension": old.extension if old else form.get("extension", "").strip(),
                 "name": form.get("name", "").strip(),
                 "username": form.get("username", "").strip()}
        if form.get("password"):
            entry["password"] = form["password"]
        direct = "".join((form.get("direct_number") or "").split())
        if direct:
            entry["direct_number"] = direct
        return entry, {}

    def context(self, config):
        memberships = {}
        for group in config.groups or []:
            for extension in group.members:
                memberships.setdefault(extension, []).append(group.name)
        query = (request.args.get("q") or "").strip().lower()
        return {"memberships": memberships, "query": query,
                "free_numbers": assignments.free_numbers(dbconn.get_db(), g.tenant["slug"]),
                "phones": live_monitor.registered_phones(dbconn.get_db(), g.tenant["id"])}


pages = UserPages(bp)
