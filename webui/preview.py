"""The call-flow preview: pick a global number (or a group's short number), a date and a time,
and see what the call would do — computed by `vpbx simulate` (vpbx.command.simulate), which asks
vpbx.engine.decision.decide as the live routing does. Optionally with the members' real state
(registered, in a call)."""
import datetime

from flask import Blueprint, current_app, g, render_template, request

from vpbx.command import simulate
from vpbx.engine import schedule

from . import dbconn, security, views
from .crud import read_config
from .i18n import _

bp = Blueprint("preview", __name__, url_prefix="/preview")
security.protect_blueprint(bp)


@bp.route("/")
def index():
    config = read_config()
    now = schedule.local_time(datetime.datetime.now(datetime.timezone.utc), config.timezone)
    number = request.args.get("number") or (config.numbers[0].number if config.numbers else "")
    date = request.args.get("date") or now.date().isoformat()
    time = request.args.get("time") or now.strftime("%H:%M")
    live = request.args.get("live") == "1"
    plan, steps, error = None, None, None
    if "number" in request.args and number:
        try:
            plan = simulate.simulate(dbconn.get_db(), g.tenant["slug"], number,
                                     f"{date}T{time}",
                                     live_cfg=current_app.config["VPBX"] if live else None)
            steps = views.plan_steps(plan, config)
        except simulate.SimulateError as exc:
            error = str(exc)
            if "--live" in error:
                error = _("The live state of the phones is not available (the SIP edge does "
                          "not answer).")
            elif "ISO" in error:
                error = _("Give a valid date and time.")
    waits = any(ring.get("wait") for step in plan.steps for ring in step.get("ring", ())) \
        if plan else False
    return render_template("preview/index.html", config=config, number=number, date=date,
                           time=time, live=live, plan=plan, steps=steps, waits=waits,
                           error=error)
