"""opsflow's web UI: a Flask app factory over the engine's runtime API."""
from dataclasses import fields

from flask import Flask, current_app

from engine.config import Settings
from engine.runtime.service import Runtime

SETTING_KEYS = {f.name.upper(): f.name for f in fields(Settings)}


def create_app(test_config=None):
    """Build the app; OPSFLOW_* variables configure it, `test_config` overrides them."""
    test_config = dict(test_config or {})
    overrides = {SETTING_KEYS[key]: test_config.pop(key) for key in list(test_config) if key in SETTING_KEYS}
    settings = Settings.from_env(**overrides)
    app = Flask(__name__)
    app.config.from_mapping(SECRET_KEY=settings.secret_key, **test_config)
    app.extensions["opsflow"] = Runtime(settings)

    from webui.main import bp as main_bp

    app.register_blueprint(main_bp)
    return app


def current_runtime():
    """The Runtime of the app handling the current request."""
    return current_app.extensions["opsflow"]
