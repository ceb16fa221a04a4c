"""opsflow's web UI: a Flask app factory over the engine's runtime API.

One blueprint per audience: `auth` (sign-in, password, language), `work` (the employee's
inbox, tasks, start catalogue, requests and case pages) and `main` (health check).
"""
import secrets
from dataclasses import fields

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config import Settings
from engine.runtime.service import Runtime

SETTING_KEYS = {f.name.upper(): f.name for f in fields(Settings)}


def create_app(test_config=None):
    """Build the app; OPSFLOW_* variables configure it, `test_config` overrides them."""
    test_config = dict(test_config or {})
    overrides = {SETTING_KEYS[key]: test_config.pop(key) for key in list(test_config) if key in SETTING_KEYS}
    settings = Settings.from_env(**overrides)
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=_session_key(settings, test_config.get("TESTING")),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="opsflow_session",
        # Uploads: the attachment limit plus room for the other fields of the form.
        MAX_CONTENT_LENGTH=getattr(settings, "max_attachment_bytes", 10 * 2**20) + 2**20,
        # A token lives as long as the session: a page left open over lunch still submits.
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="en",
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        BABEL_TRANSLATION_DIRECTORIES="translations",
        RATELIMIT_STORAGE_URI=settings.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        **test_config,
    )
    if settings.proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count,
                                x_host=settings.proxy_count)
    app.extensions["opsflow"] = Runtime(settings)

    from webui import errors, i18n, names, security
    from webui.auth import bp as auth_bp
    from webui.main import bp as main_bp
    from webui.work import bp as work_bp

    security.init_app(app)
    i18n.init_app(app)
    names.init_app(app)
    errors.init_app(app)
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(work_bp)
    return app


def _session_key(settings, testing):
    """The configured session key; only a test app may go without one (it gets a random key of its own)."""
    if testing:
        return settings.secret_key or secrets.token_urlsafe(32)
    return settings.require_secret_key()
