"""opsflow's web UI: a Flask app factory over the engine's runtime API.

One blueprint per audience: `auth` (sign-in, password, language), `work` (the employee's
inbox, tasks, start catalogue, requests and case pages), `main` (health check), `metrics` (operators' /metrics,
webui/metrics.py) and `api` (JSON under /api/v1, beside the HTML pages).
"""
import secrets
from dataclasses import fields

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.config import Settings
from engine.runtime.service import Runtime
from webui.config import WebSettings

ENGINE_KEYS = {f.name.upper(): f.name for f in fields(Settings)}
WEB_KEYS = {f.name.upper(): f.name for f in fields(WebSettings)}


def create_app(test_config=None):
    """Build the app; OPSFLOW_* variables configure it (the engine's and the web's), `test_config` overrides them."""
    test_config = dict(test_config or {})
    settings = Settings.from_env(**_settings_in(test_config, ENGINE_KEYS))
    web = WebSettings.from_env(**_settings_in(test_config, WEB_KEYS))
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=_session_key(web, test_config.get("TESTING")),
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
        RATELIMIT_STORAGE_URI=web.ratelimit_storage_uri,
        RATELIMIT_HEADERS_ENABLED=True,
        **test_config,
    )
    if web.proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=web.proxy_count, x_proto=web.proxy_count, x_host=web.proxy_count)
    app.extensions["opsflow"] = Runtime(settings)
    app.extensions["opsflow_web"] = web

    from webui import api, errors, i18n, metrics, names, security
    from webui.auth import bp as auth_bp
    from webui.main import bp as main_bp
    from webui.work import bp as work_bp

    security.init_app(app)
    i18n.init_app(app)
    names.init_app(app)
    errors.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(work_bp)
    api.init_app(app)
    return app


def _settings_in(test_config, keys):
    """Take the settings named in `keys` (upper-case names) out of a test config, as field -> value."""
    return {keys[key]: test_config.pop(key) for key in list(test_config) if key in keys}


def _session_key(web, testing):
    """The configured session key; only a test app may go without one (it gets a random key of its own)."""
    if testing:
        return web.secret_key or secrets.token_urlsafe(32)
    return web.require_secret_key()
