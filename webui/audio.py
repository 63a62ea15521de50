"""The Melodies and Announcements tabs (guide §8, §9): not available yet (audio files have no
back end); the pages say so and describe what they will hold."""
from flask import render_template

from .tabs import not_yet_blueprint

bp = not_yet_blueprint("audio", "/audio", "tabs/melodies.html")


@bp.route("/announcements")
def announcements():
    return render_template("tabs/announcements.html")
