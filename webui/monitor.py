"""The activity monitor (guide §2, §12; SPEC F8): each group's members and their state, the
counts of absent users and unavailable phones, and the time range in force. The page
refreshes its state by itself; its print view gathers the whole configuration."""
import datetime

from flask import Blueprint, current_app, g, render_template

from vpbx import admin_live, schedule

from . import dbconn, security, views
from .crud import read_config

bp = Blueprint("monitor", __name__, url_prefix="/monitor")
security.protect_blueprint(bp)
REFRESH_SECONDS = 10


def _state(config):
    return admin_live.monitor(dbconn.get_db(), current_app.config["VPBX"], g.tenant["id"],
                              config, ask_kamailio=current_app.config.get("ASK_KAMAILIO", True))


@bp.route("/")
def index():
    config = read_config()
    return render_template("monitor/index.html", state=_state(config), config=config,
                           refresh=current_app.config.get("MONITOR_REFRESH_SECONDS",
                                                          REFRESH_SECONDS))


@bp.route("/state")
def state():
    """The live part of the page alone (the page's script swaps it in)."""
    config = read_config()
    return render_template("monitor/_state.html", state=_state(config), config=config)


@bp.route("/print")
def print_all():
    """Every rule of the tenant's configuration in one document, in plain language."""
    config = read_config()
    now = schedule.local_time(datetime.datetime.now(datetime.timezone.utc), config.timezone)
    return render_template("monitor/print.html", config=config, now=now, views=views,
                           groups_by_name={group.name: group for group in config.groups or []},
                           users={user.extension: user for user in config.users or []},
                           printing=True)
