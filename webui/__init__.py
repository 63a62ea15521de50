"""The tenant administrators' web UI (Flask + Jinja2). `create_app()` builds it.

This first version serves the platform overview and a health check; the tabs of the guide
(numbers, groups, time ranges, voicemail, …) arrive as blueprints of their own.
"""
from flask import Flask

from vpbx import config as config_mod


def create_app(cfg=None, test_config=None) -> Flask:
    app = Flask(__name__)
    app.config["VPBX"] = cfg or config_mod.load()
    if test_config:
        app.config.update(test_config)
    from . import overview
    app.register_blueprint(overview.bp)
    return app
