"""The Groups tab (guide §4): label, short number, distribution, rings, cycles, ordered
members and the no-answer rule, with the guide's sentence explaining the distribution."""
import re

from flask import Blueprint, Response, request

from vpbx.model.tenant import CYCLING_DISTRIBUTIONS, DEFAULT_CYCLES, DEFAULT_RINGS, DISTRIBUTIONS

from . import security, views
from .crud import SectionPages, destination_entry, destination_values, number_or_text
from .destinations import destination_choices

bp = Blueprint("groups", __name__, url_prefix="/groups")
security.protect_blueprint(bp)


def split_extensions(text: str) -> list[str]:
    """"7956, 7961 7965" → ["7956", "7961", "7965"] (the members field, in order)."""
    return [part for part in re.split(r"[\s,;]+", text or "") if part]


class GroupPages(SectionPages):
    section, noun = "groups", "group"
    fields = ("name", "short_number", "distribution", "rings", "cycles", "members",
              "ringback", "no_answer")
    list_template, form_template = "groups/list.html", "groups/form.html"

    def values_of(self, group, config):
        return {"name": group.name, "short_number": str(group.short_number),
                "distribution": group.distribution, "rings": str(group.rings),
                "cycles": str(group.cycles), "members": ", ".join(group.members),
                "ringback": group.ringback or "",
                **destination_values(group.no_answer, "no_answer")}

    def empty_values(self, config):
        return {"distribution": "cyclic", "rings": str(DEFAULT_RINGS),
                "cycles": str(DEFAULT_CYCLES), "no_answer": "hangup"}

    def entry_from(self, form, config, old):
        distribution = form.get("distribution", "")
        entry = {"name": form.get("name", "").strip(),
                 "short_number": number_or_text(form.get("short_number")),
                 "distribution": distribution,
                 "rings": number_or_text(form.get("rings")),
                 "members": split_extensions(form.get("members")),
                 "no_answer": destination_entry(form, "no_answer")}
        if distribution in CYCLING_DISTRIBUTIONS:
            entry["cycles"] = number_or_text(form.get("cycles"))
        ringback = form.get("ringback", old.ringback if old is not None else "")
        if ringback:
            entry["ringback"] = ringback
        return entry, {}

    def context(self, config):
        return {"distributions": DISTRIBUTIONS, "cycling": CYCLING_DISTRIBUTIONS,
                "choices": destination_choices(config),
                "ringbacks": [item.name for item in config.audio or []
                              if item.kind == "ringback"],
                "users": {user.extension: user for user in config.users or []},
                "groups_by_name": {group.name: group for group in config.groups or []}}


pages = GroupPages(bp)


@bp.route("/sentence")
def sentence():
    """The distribution sentence for the editor's live summary (an HTML fragment)."""
    distribution = request.args.get("distribution", "")
    rings = request.args.get("rings", type=int) or DEFAULT_RINGS
    cycles = request.args.get("cycles", type=int) or DEFAULT_CYCLES
    members = len(split_extensions(request.args.get("members", "")))
    return Response(views.group_sentence(distribution, rings, cycles, members),
                    mimetype="text/plain")
