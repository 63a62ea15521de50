"""The tabs whose features have no back end yet (voicemail, presentation rules, melodies,
announcements, directory): they show what exists and say plainly what is not available,
rather than forms that would store nothing."""
from flask import Blueprint, render_template

from . import security
from .crud import read_config


def not_yet_blueprint(name: str, url_prefix: str, template: str) -> Blueprint:
    """A tab's blueprint whose page is `template`, rendered with the tenant's configuration."""
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    security.protect_blueprint(bp)

    @bp.route("/")
    def index():
        return render_template(template, config=read_config())
    return bp
