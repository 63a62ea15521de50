"""The web UI's Flask application: `create_app` registers every blueprint of the package, its
sessions, security headers and translations. Kept out of webui/__init__.py so that importing
one module of the package (`python -m webui.accounts`) does not import them all.
"""
import configparser

from flask import Flask, g, request

from vpbx.settings import platform as platform_settings

from . import (api, api_platform, audio, auth, calls, dbconn, directory, groups, i18n, monitor,
               numbers, outgoing, overview, phonebook, platform, preview, security, timeranges,
               users, views, voicemail)
from .sessions import DbSessionInterface


def _webui_options(cfg) -> dict:
    """Optional [webui] keys of the platform configuration file that only the UI reads:
    secure_cookies (true behind HTTPS)."""
    parser = configparser.ConfigParser()
    parser.read(cfg.path)
    return {"SESSION_COOKIE_SECURE": parser.getboolean("webui", "secure_cookies",
                                                       fallback=False)}


def create_app(cfg=None, test_config=None) -> Flask:
    """The WSGI application for one platform configuration (default: $VPBX_CONFIG)."""
    app = Flask(__package__)     # "webui": templates, static files and logger as before
    cfg = cfg or platform_settings.load()
    app.config.update(
        VPBX=cfg,
        SESSION_COOKIE_NAME="vpbx_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        MAX_CONTENT_LENGTH=5 * 1024 * 1024,
        JSON_SORT_KEYS=False,
        **_webui_options(cfg))
    if test_config:
        app.config.update(test_config)
    app.session_interface = DbSessionInterface()
    app.teardown_appcontext(dbconn.close_db)
    i18n.init_app(app)
    security.init_app(app)
    app.jinja_env.globals["views"] = views
    app.jinja_env.add_extension("jinja2.ext.do")
    for module in (overview, auth, platform, monitor, numbers, timeranges, groups, users,
                   preview, voicemail, outgoing, audio, directory, calls, phonebook, api,
                   api_platform):
        app.register_blueprint(module.bp)

    @app.after_request
    def _headers(response):
        """No framing, no sniffing, scripts and styles from this site only; nothing cached."""
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
            " frame-ancestors 'none'; form-action 'self'")
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.context_processor
    def _globals():
        return {"account": g.get("account"), "tenant": g.get("tenant")}

    return app
