"""The platform operators' pages: tenants and their administrators, the numbers assigned to
tenants, and the SIP edge's bans.

Operators create tenants (through the provisioning rules, like `vpbx apply`), create and
remove tenant administrators, and may open a tenant's configuration pages themselves; they
assign numbers and blocks of numbers to tenants and take them back (vpbx.provisioning.assignments, the
rules of the platform file's `numbers:`); they see the addresses the SIP edge refuses
(password guessers, floods) and lift bans, as `vpbx bans` and `vpbx unban` do. Anybody else
gets "not found" here.
"""
from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   session, url_for)

from vpbx.provisioning import edit
from vpbx.provisioning import assignments
from vpbx.live import state as live_state
from vpbx.provisioning import apply
from vpbx.model.tenant import DEFAULT_TIMEZONE

from . import accounts, dbconn, security
from .crud import errors_by_field
from .i18n import LANGUAGES, _, problem

bp = Blueprint("platform", __name__, url_prefix="/platform")
security.protect_blueprint(bp, security.operator_required)

_TENANT_FIELDS = ("tenant", "name", "domain", "timezone")


def _tenant_or_404(tenant_id: int) -> dict:
    tenant = security.load_tenant(tenant_id)
    if tenant is None:
        abort(404)
    return tenant


@bp.route("/", methods=["GET", "POST"])
def tenants():
    """Every tenant, and the form that creates one."""
    errors, values, status = {}, {"timezone": DEFAULT_TIMEZONE}, 200
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in _TENANT_FIELDS}
        slug = values["tenant"]
        if not slug or _slug_taken(slug):
            errors["tenant"] = [_("This short name is already taken.") if slug
                                else _("required")]
        else:
            outcome = edit.save_settings(
                dbconn.get_db(), slug, {"name": values["name"], "domain": values["domain"],
                                        "timezone": values["timezone"] or DEFAULT_TIMEZONE})
            if outcome.ok:
                flash(_("Tenant {slug} created.", slug=slug), "ok")
                return redirect(url_for(".tenants"))
            errors = errors_by_field(outcome.problems, _TENANT_FIELDS)
        status = 422
    rows = dbconn.query(
        "SELECT t.id, t.slug, t.name, t.domain, t.timezone,"
        " (SELECT COUNT(*) FROM users u WHERE u.tenant_id = t.id) AS users,"
        " (SELECT COUNT(*) FROM admin_accounts a WHERE a.tenant_id = t.id) AS admins"
        " FROM tenants t ORDER BY t.slug")
    return render_template("platform/tenants.html", rows=rows, errors=errors,
                           values=values), status


def _slug_taken(slug: str) -> bool:
    return dbconn.query_one("SELECT id FROM tenants WHERE slug = %s", (slug,)) is not None


@bp.route("/tenants/<int:tenant_id>", methods=["GET", "POST"])
def tenant(tenant_id: int):
    """A tenant's administrators, and the form that creates one."""
    row = _tenant_or_404(tenant_id)
    conn = dbconn.get_db()
    errors, values, status = {}, {"language": "fr"}, 200
    if request.method == "POST":
        values = {name: request.form.get(name, "") for name in ("login", "language")}
        reason = accounts.check_password_rules(request.form.get("password", ""),
                                               request.form.get("confirm", ""))
        if reason:
            errors["password"] = [_(reason)]
        else:
            try:
                accounts.create_account(conn, values["login"].strip(),
                                        request.form["password"], tenant_id=tenant_id,
                                        language=values["language"])
                flash(_("Administrator {login} created.", login=values["login"]), "ok")
                return redirect(url_for(".tenant", tenant_id=tenant_id))
            except accounts.AccountError as exc:
                errors["login"] = [_(str(exc))]
        status = 422
    return render_template("platform/tenant.html", row=row, errors=errors, values=values,
                           admins=accounts.tenant_admins(conn, tenant_id),
                           numbers=assignments.usage(conn, row["slug"]),
                           languages=LANGUAGES), status


@bp.route("/tenants/<int:tenant_id>/admins/<int:account_id>/delete", methods=["POST"])
def delete_admin(tenant_id: int, account_id: int):
    _tenant_or_404(tenant_id)
    if not accounts.delete_tenant_admin(dbconn.get_db(), tenant_id, account_id):
        abort(404)
    flash(_("Administrator removed."), "ok")
    return redirect(url_for(".tenant", tenant_id=tenant_id))


@bp.route("/tenants/<int:tenant_id>/open", methods=["POST"])
def open_tenant(tenant_id: int):
    """Work on this tenant's configuration pages (as its administrators do)."""
    _tenant_or_404(tenant_id)
    session["tenant_id"] = tenant_id
    return redirect(url_for("monitor.index"))


@bp.route("/close", methods=["POST"])
def close_tenant():
    session.pop("tenant_id", None)
    return redirect(url_for(".tenants"))


@bp.route("/tenants/<int:tenant_id>/delete", methods=["POST"])
def delete_tenant(tenant_id: int):
    """Remove a tenant and everything it owns; the short name must be typed to confirm."""
    row = _tenant_or_404(tenant_id)
    if request.form.get("confirm") != row["slug"]:
        flash(_("Type the tenant's short name to confirm."), "error")
        return redirect(url_for(".tenant", tenant_id=tenant_id))
    conn = dbconn.get_db()
    apply.delete_tenant(conn, row["slug"], data_dir=current_app.config["VPBX"].data_dir,
                        log=current_app.logger)
    if session.get("tenant_id") == tenant_id:
        session.pop("tenant_id", None)
    flash(_("Tenant {slug} deleted.", slug=row["slug"]), "ok")
    return redirect(url_for(".tenants"))


@bp.route("/numbers", methods=["GET", "POST"])
def numbers():
    """Every block of numbers assigned to a tenant, what uses its numbers, and the form that
    assigns one."""
    conn = dbconn.get_db()
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in ("tenant", "block")}
        try:
            made, reasons = assignments.assign(conn, values["tenant"], values["block"])
        except assignments.NotFound:
            made, reasons = None, []
            errors["tenant"] = [_("Choose a tenant.")]
        if made is not None:
            current_app.logger.info("numbers assigned: block=%s tenant=%s by=%s", made.block,
                                    made.tenant, g.account.login)
            flash(_("{block} assigned to {slug}.", block=str(made.block), slug=made.tenant),
                  "ok")
            return redirect(url_for(".numbers"))
        if reasons:
            errors["block"] = [problem(reason) for reason in reasons]
        status = 422
    tenants = dbconn.query("SELECT slug FROM tenants ORDER BY slug")
    return render_template("platform/numbers.html", rows=assignments.all_usage(conn),
                           tenants=[row["slug"] for row in tenants], errors=errors,
                           values=values), status


@bp.route("/numbers/<int:assignment_id>/delete", methods=["POST"])
def unassign_numbers(assignment_id: int):
    """Give a block back to the carrier; refused while the tenant uses one of its numbers."""
    try:
        reasons = assignments.unassign(dbconn.get_db(), assignment_id)
    except assignments.NotFound:
        abort(404)
    for reason in reasons:
        flash(problem(reason), "error")
    if not reasons:
        current_app.logger.info("numbers unassigned: id=%s by=%s", assignment_id,
                                g.account.login)
        flash(_("The numbers are no longer assigned."), "ok")
    return redirect(url_for(".numbers"))


@bp.route("/bans")
def bans():
    """The SIP edge's bans now: (kind, address, user@domain or None, count), and the users
    whose password is being guessed from many addresses."""
    cfg = current_app.config["VPBX"]
    try:
        found = live_state.bans(cfg)
        failures = live_state.user_failures(cfg) if cfg.sip_auth_attack_failures > 0 else []
    except live_state.LiveStateUnavailable:
        return render_template("platform/bans.html", rows=None, attacks=[])
    rows = []
    for kind, key, value in sorted(found, key=lambda ban: (ban[1], ban[0])):
        address, _, user = key.partition(" ")
        rows.append({"kind": kind, "address": address, "user": user or None, "count": value})
    attacks = sorted(((user, count) for user, count in failures
                      if count >= cfg.sip_auth_attack_failures), key=lambda hit: -hit[1])
    return render_template("platform/bans.html", rows=rows, attacks=attacks)


@bp.route("/bans/lift", methods=["POST"])
def lift_bans():
    """Lift every ban of one address (its flood ban and its password bans)."""
    address = request.form.get("address", "").strip()
    try:
        lifted = live_state.lift_bans(current_app.config["VPBX"], address) if address else []
    except live_state.LiveStateUnavailable:
        flash(_("The SIP edge does not answer now: nothing was changed."), "error")
        return redirect(url_for(".bans"))
    if lifted:
        current_app.logger.info("bans lifted: address=%s count=%d by=%s", address,
                                len(lifted), g.account.login)
        flash(_("{address} is no longer refused.", address=address), "ok")
    else:
        flash(_("There is no such ban any more."), "error")
    return redirect(url_for(".bans"))


@bp.app_context_processor
def _operator_context():
    return {"is_operator": bool(g.get("account") and g.account.is_operator)}
