"""The activity monitor (guide §2, §12; SPEC F8): each group's members and their state, the
counts of absent users and unavailable phones, the time range in force, and the phones
locked out for wrong passwords, which the administrator may let in again. The page
refreshes its state by itself; its print view gathers the whole configuration."""
import datetime

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from vpbx.live import monitor as live_monitor
from vpbx.live import state as live_state
from vpbx.engine import schedule

from . import dbconn, security, views
from .crud import read_config
from .i18n import _

bp = Blueprint("monitor", __name__, url_prefix="/monitor")
security.protect_blueprint(bp)
REFRESH_SECONDS = 10


def _state(config):
    return live_monitor.monitor(dbconn.get_db(), current_app.config["VPBX"], g.tenant["id"],
                                config, ask_kamailio=current_app.config.get("ASK_KAMAILIO", True))


def _guard():
    """The password guard's settings, for the page's explanation of lockouts."""
    cfg = current_app.config["VPBX"]
    return {"failures": cfg.sip_auth_failures, "minutes": -(-cfg.sip_auth_ban_seconds // 60)}


@bp.route("/")
def index():
    config = read_config()
    return render_template("monitor/index.html", state=_state(config), config=config,
                           guard=_guard(),
                           refresh=current_app.config.get("MONITOR_REFRESH_SECONDS",
                                                          REFRESH_SECONDS))


@bp.route("/state")
def state():
    """The live part of the page alone (the page's script swaps it in)."""
    config = read_config()
    return render_template("monitor/_state.html", state=_state(config), config=config,
                           guard=_guard())


@bp.route("/lockouts/lift", methods=["POST"])
def lift_lockout():
    """Let a locked-out address try a user's password again at once (a phone whose password
    was just corrected), instead of waiting for the lock to run out."""
    address = request.form.get("address", "").strip()
    username = request.form.get("username", "").strip()
    try:
        lifted = live_state.lift_password_ban(current_app.config["VPBX"], address, username,
                                              g.tenant["domain"])
    except live_state.LiveStateUnavailable:
        flash(_("The SIP edge does not answer now: nothing was changed."), "error")
    else:
        if lifted:
            current_app.logger.info("lockout lifted: tenant=%s user=%s address=%s by=%s",
                                    g.tenant["slug"], username, address, g.account.login)
            flash(_("{user} may register again from {address}.", user=username,
                    address=address), "ok")
        else:
            flash(_("There is no such lockout any more."), "error")
    return redirect(url_for("monitor.index"))


@bp.route("/print")
def print_all():
    """Every rule of the tenant's configuration in one document, in plain language."""
    config = read_config()
    now = schedule.local_time(datetime.datetime.now(datetime.timezone.utc), config.timezone)
    return render_template("monitor/print.html", config=config, now=now, views=views,
                           groups_by_name={group.name: group for group in config.groups or []},
                           users={user.extension: user for user in config.users or []},
                           printing=True)
