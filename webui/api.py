"""The JSON API under /api/v1: the same objects, rules and isolation as the pages.

Authentication: `Authorization: Bearer TOKEN` (tokens are made on the account page or with
`python -m webui.accounts create-token`, and may expire: an expired token gets 401 saying
so); a tenant administrator's token reaches their tenant only, and an id of another
tenant's object is "not found". Objects have the shape of CONFIG-FORMAT's tenant file
entries plus their `id`; writes go through vpbx.provisioning.edit (the provisioning rules),
and a refused write answers 422 (409 for a delete refused because the object is still used)
with one error per problem. The document /api/v1/openapi.json describes it all.
"""
import datetime

from flask import Blueprint, abort, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from vpbx.provisioning import edit
from vpbx.live import monitor as live_monitor
from vpbx.records import call_records
from vpbx.command import simulate
from vpbx.model.tenant import key_of

from . import calls, dbconn
from .bearer import bearer_account
from .errors import error_response
from .openapi import SECTIONS, openapi_document

bp = Blueprint("api", __name__, url_prefix="/api/v1")

@bp.errorhandler(HTTPException)
def _http_error(exc):
    return error_response(exc.code)


@bp.before_request
def _authenticate():
    """Every endpoint but the OpenAPI document needs a tenant administrator's token."""
    g.account = g.tenant = None
    if request.endpoint == "api.openapi":
        return None
    account, refusal = bearer_account()
    if refusal:
        return refusal
    if account.is_operator:
        return error_response(403, "operator accounts manage tenants in the web UI; use a "
                                   "tenant administrator's token")
    g.account = account
    g.tenant = dbconn.query_one("SELECT id, slug FROM tenants WHERE id = %s",
                                (account.tenant_id,))
    return None


def _json(value):
    """Dates as ISO strings, everything else as it is."""
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_json(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(415 if not request.is_json else 400)
    data = dict(data)
    data.pop("id", None)
    return data


def _problems(outcome, status: int):
    return jsonify(errors=[{"field": problem.field, "message": problem.reason}
                           for problem in outcome.problems]), status


def _stored():
    stored = edit.read_config(dbconn.get_db(), g.tenant["slug"])
    if stored is None:
        abort(404)
    return stored


def _items(section: str) -> list[dict]:
    """The section's entries, each with its id."""
    stored = _stored()
    ids = edit.item_ids(dbconn.get_db(), g.tenant["id"], section)
    entries = edit.document_of(stored).get(section) or []
    return [{"id": ids[key_of(section, item)], **_json(entry)}
            for item, entry in zip(getattr(stored.config, section), entries)]


def _item(section: str, item_id: int) -> dict | None:
    return next((entry for entry in _items(section) if entry["id"] == item_id), None)


def _key_or_404(section: str, item_id: int):
    key = edit.find_item(dbconn.get_db(), g.tenant["id"], section, item_id)
    if key is None:
        abort(404)
    return key


def _saved(section: str, key_field: str | None, entry: dict, status: int):
    """The item just saved, found again by its (possibly new) key; a holiday, which has no
    key, by what it says (else the newest)."""
    items = _items(section)
    if key_field:
        found = next((item for item in items if item.get(key_field) == entry.get(key_field)),
                     None)
    else:
        found = next((item for item in reversed(items)
                      if all(str(item.get(name)) == str(value)
                             for name, value in entry.items())), None)
        found = found or max(items, key=lambda item: item["id"])
    return jsonify(found), status


def _register(section: str, path: str, key_field: str | None) -> None:
    """list/create/get/replace/delete endpoints of one section."""
    def list_items():
        return jsonify(_items(section))

    def create():
        entry = _body()
        outcome = edit.save_item(dbconn.get_db(), g.tenant["slug"], section, None,
                                 entry)
        if not outcome.ok:
            return _problems(outcome, 422)
        return _saved(section, key_field, entry, 201)

    def get_item(item_id: int):
        _key_or_404(section, item_id)
        return jsonify(_item(section, item_id))

    def replace(item_id: int):
        key = _key_or_404(section, item_id)
        entry = _body()
        outcome = edit.save_item(dbconn.get_db(), g.tenant["slug"], section, key, entry)
        if not outcome.ok:
            return _problems(outcome, 422)
        return _saved(section, key_field, entry, 200)

    def delete(item_id: int):
        key = _key_or_404(section, item_id)
        outcome = edit.delete_item(dbconn.get_db(), g.tenant["slug"], section, key)
        if not outcome.ok:
            return _problems(outcome, 409)
        return "", 204

    name = path.strip("/").replace("-", "_")
    bp.add_url_rule(path, f"{name}_list", list_items, methods=["GET"])
    bp.add_url_rule(path, f"{name}_create", create, methods=["POST"])
    bp.add_url_rule(f"{path}/<int:item_id>", f"{name}_get", get_item, methods=["GET"])
    bp.add_url_rule(f"{path}/<int:item_id>", f"{name}_replace", replace, methods=["PUT"])
    bp.add_url_rule(f"{path}/<int:item_id>", f"{name}_delete", delete, methods=["DELETE"])


for _section, (_path, _key_field) in SECTIONS.items():
    _register(_section, _path, _key_field)


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


_SETTINGS = ("name", "timezone", "access_code")


def _settings() -> dict:
    config = _stored().config
    return {"tenant": config.slug, "name": config.name, "domain": config.domain,
            "timezone": config.timezone, "access_code": config.access_code}


@bp.route("/tenant", methods=["GET"])
def tenant_get():
    return jsonify(_settings())


@bp.route("/tenant", methods=["PATCH"])
def tenant_patch():
    """Change the tenant's name, time zone or access code."""
    body = _body()
    unknown = [key for key in body if key not in _SETTINGS]
    if unknown:
        return jsonify(errors=[{"field": key, "message": "cannot be changed here (expected one "
                                f"of: {', '.join(_SETTINGS)})"} for key in unknown]), 422
    outcome = edit.save_settings(dbconn.get_db(), g.tenant["slug"], body)
    if not outcome.ok:
        return _problems(outcome, 422)
    return jsonify(_settings())


@bp.route("/simulate", methods=["GET"])
def simulate_call():
    """What a call to a global number (or a group's short number) would do at `at`:
    `vpbx simulate --json`'s output."""
    number = request.args.get("number", "")
    at = request.args.get("at", "")
    live = request.args.get("live") in ("1", "true")
    try:
        plan = simulate.simulate(dbconn.get_db(), g.tenant["slug"], number, at,
                                 live_cfg=current_app.config["VPBX"] if live else None)
    except simulate.SimulateError as exc:
        status = 404 if "neither" in str(exc) else 422
        return jsonify(errors=[{"field": "at" if "ISO" in str(exc) else "number",
                                "message": str(exc)}]), status
    return jsonify(plan.as_dict())


@bp.route("/calls", methods=["GET"], endpoint="call_records")
def list_call_records():
    """The tenant's call records, filtered as on the Call records page."""
    chosen, problems = calls.filters()
    if problems:
        return jsonify({"errors": [{"field": field, "message": reason}
                                   for field, reason in problems]}), 422
    records = call_records.query_records(dbconn.get_db(), g.tenant["id"], **chosen)
    return jsonify([{**{field: (value.isoformat() if hasattr(value, "isoformat") else value)
                        for field, value in record.items()},
                     "on_net": bool(record["on_net"])} for record in records])


@bp.route("/monitor", methods=["GET"])
def monitor():
    """The activity monitor's state now."""
    config = _stored().config
    state = live_monitor.monitor(dbconn.get_db(), current_app.config["VPBX"], g.tenant["id"],
                                 config, ask_kamailio=current_app.config.get("ASK_KAMAILIO", True))
    return jsonify({
        "at": state.at.isoformat(), "range": state.range,
        "absent_users": state.absent_users, "unavailable_phones": state.unavailable_phones,
        "busy_known": state.busy_known,
        "groups": [{"name": group.name, "short_number": group.short_number,
                    "members": [{"extension": member.extension, "name": member.name,
                                 "phones": member.phones, "state": member.state}
                                for member in group.members]} for group in state.groups],
        "lockouts": None if state.lockouts is None else [
            {"address": lockout.address, "username": lockout.username,
             "extension": lockout.extension, "name": lockout.name}
            for lockout in state.lockouts],
        "attacks": None if state.attacks is None else [
            {"username": attack.username, "extension": attack.extension, "name": attack.name,
             "failures": attack.failures} for attack in state.attacks]})
