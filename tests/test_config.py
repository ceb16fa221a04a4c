"""Settings from OPSFLOW_* variables: numbers are checked, and a wrong one is named in one line."""
from dataclasses import fields

import pytest

from engine.config import Settings
from engine.errors import ConfigError
from webui.config import WebSettings


def test_numeric_settings_are_converted():
    settings = Settings.from_env({"OPSFLOW_WORKER_BATCH": "3", "OPSFLOW_WORKER_STALE_SECONDS": "90.5"})
    assert (settings.worker_batch, settings.worker_stale_seconds) == (3, 90.5)
    assert WebSettings.from_env({"OPSFLOW_WEB_WORKERS": "3"}).web_workers == 3


def test_a_setting_that_is_not_a_number_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"^OPSFLOW_WEB_WORKERS='two' is not an integer$"):
        WebSettings.from_env({"OPSFLOW_WEB_WORKERS": "two"})
    with pytest.raises(ConfigError, match=r"^OPSFLOW_WORKER_STALE_SECONDS='soon' is not a number$"):
        Settings.from_env({"OPSFLOW_WORKER_STALE_SECONDS": "soon"})


def test_the_web_s_settings_are_not_the_engine_s():
    engine, web = ({f.name for f in fields(kind)} for kind in (Settings, WebSettings))
    assert not engine & web
    assert {"secret_key", "login_rate_limit", "proxy_count", "host", "web_workers"} <= web
    assert WebSettings.from_env({"OPSFLOW_SECRET_KEY": "from-the-environment"}).secret_key == "from-the-environment"
