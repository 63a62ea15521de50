"""The Numbers tab (guide §3, §10): each global number's label, its table "time range →
destination" (first matching range wins) and its outside-hours destination, drawn as a
call-flow diagram (range → group → members → no-answer rule); and the numbers the platform
operator assigned to the tenant, used (by what) and free — the only ones it may use."""
from flask import Blueprint, g, render_template

from vpbx.provisioning import assignments

from . import dbconn, security, views
from .crud import SectionPages, destination_entry, destination_values
from .destinations import destination_choices

bp = Blueprint("numbers", __name__, url_prefix="/numbers")
security.protect_blueprint(bp)

SPARE_ROUTE_ROWS = 2        # empty rows under the routes, to add some without JavaScript


def route_count(values: dict) -> int:
    """How many route rows the form shows: the filled ones and a few empty ones."""
    filled = sum(1 for key in values if key.startswith("route-") and key.endswith("-range"))
    return filled + SPARE_ROUTE_ROWS


class NumberPages(SectionPages):
    section, noun = "numbers", "number"
    fields = ("number", "label", "routes", "outside_hours")
    list_template, form_template = "numbers/list.html", "numbers/form.html"

    def values_of(self, number, config):
        values = {"number": number.number, "label": number.label,
                  **destination_values(number.outside_hours, "outside_hours")}
        for index, route in enumerate(number.routes):
            values[f"route-{index}-range"] = route.range
            values.update(destination_values(route.to, f"route-{index}-to"))
        return values

    def empty_values(self, config):
        return {"outside_hours": "hangup"}

    def entry_from(self, form, config, old):
        routes, index = [], 0
        while f"route-{index}-range" in form:
            time_range = form.get(f"route-{index}-range", "").strip()
            if time_range:
                routes.append({"range": time_range,
                               "to": destination_entry(form, f"route-{index}-to")})
            index += 1
        entry = {"number": "".join(form.get("number", "").split()),
                 "label": form.get("label", "").strip(), "routes": routes,
                 "outside_hours": destination_entry(form, "outside_hours")}
        return entry, {}

    def context(self, config):
        return {"choices": destination_choices(config), "route_count": route_count,
                "free_numbers": assignments.free_numbers(dbconn.get_db(), g.tenant["slug"]),
                "flow": lambda number: views.number_flow(config, number),
                "groups_by_name": {group.name: group for group in config.groups or []}}


pages = NumberPages(bp)


@bp.route("/assigned")
def assigned():
    """The tenant's assigned numbers: each block, what uses its numbers, those still free."""
    return render_template("numbers/assigned.html",
                           rows=assignments.usage(dbconn.get_db(), g.tenant["slug"]))
