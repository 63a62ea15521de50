"""The platform operators' JSON API under /api/v1/platform: the numbers assigned to tenants.

    GET    /api/v1/platform/numbers        every assignment, with what uses its numbers
    POST   /api/v1/platform/numbers        {"tenant": "acme", "block": "+41215667900-+41215667999"}
                                           → 201 | 422 (one error per problem)
    DELETE /api/v1/platform/numbers/<id>   → 204 | 409 (a number of it still in use) | 404

Only an operator's bearer token reaches it: to a tenant administrator's token it answers
"not found", as the operators' pages do to anybody else (numbers are the carrier's); the rules are vpbx.provisioning.assignments', those of the operators' Numbers page and of
the platform file's `numbers:`. The OpenAPI document (/api/v1/openapi.json) describes it.
"""
from flask import Blueprint, abort, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from vpbx.provisioning import assignments

from . import dbconn
from .bearer import bearer_account
from .errors import error_response

bp = Blueprint("api_platform", __name__, url_prefix="/api/v1/platform")


@bp.errorhandler(HTTPException)
def _http_error(exc):
    return error_response(exc.code)


@bp.before_request
def _authenticate():
    """An operator's token, or 401 (no valid token) / 404 (a tenant administrator's)."""
    g.account = g.tenant = None
    account, refusal = bearer_account()
    if refusal:
        return refusal
    if not account.is_operator:
        return error_response(404)
    g.account = account
    return None


def _json(row: assignments.BlockUsage) -> dict:
    return {"id": row.assignment.id, "tenant": row.assignment.tenant,
            "block": str(row.assignment.block), "free": row.free,
            "used": [{"number": use.number, "kind": use.kind, "detail": use.detail}
                     for use in row.used]}


@bp.route("/numbers", methods=["GET"])
def list_numbers():
    return jsonify([_json(row) for row in assignments.all_usage(dbconn.get_db())])


@bp.route("/numbers", methods=["POST"])
def assign_numbers():
    """Assign a block of numbers to an existing tenant."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(415 if not request.is_json else 400)
    unknown = sorted(set(body) - {"tenant", "block"})
    tenant, block = body.get("tenant"), body.get("block")
    errors = [{"field": key, "message": "unknown key (expected one of: tenant, block)"}
              for key in unknown]
    errors += [{"field": key, "message": "required"}
               for key, value in (("tenant", tenant), ("block", block))
               if not isinstance(value, str) or not value]
    if errors:
        return jsonify(errors=errors), 422
    conn = dbconn.get_db()
    try:
        made, reasons = assignments.assign(conn, tenant, block)
    except assignments.NotFound:
        return jsonify(errors=[{"field": "tenant", "message": f"no tenant {tenant}"}]), 422
    if made is None:
        return jsonify(errors=[{"field": "block", "message": reason}
                               for reason in reasons]), 422
    current_app.logger.info("numbers assigned: block=%s tenant=%s by=%s (API)", made.block,
                            made.tenant, g.account.login)
    row = next(row for row in assignments.all_usage(conn) if row.assignment.id == made.id)
    return jsonify(_json(row)), 201


@bp.route("/numbers/<int:assignment_id>", methods=["DELETE"])
def unassign_numbers(assignment_id: int):
    """Give a block back to the carrier; 409 while the tenant uses one of its numbers."""
    try:
        reasons = assignments.unassign(dbconn.get_db(), assignment_id)
    except assignments.NotFound:
        abort(404)
    if reasons:
        return jsonify(errors=[{"field": None, "message": reason} for reason in reasons]), 409
    current_app.logger.info("numbers unassigned: id=%s by=%s (API)", assignment_id,
                            g.account.login)
    return "", 204
