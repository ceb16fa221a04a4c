"""Settings from OPSFLOW_* variables: numbers are checked, and a wrong one is named in one line."""
import pytest

from engine.config import Settings
from engine.errors import ConfigError


def test_numeric_settings_are_converted():
    settings = Settings.from_env({"OPSFLOW_WEB_WORKERS": "3", "OPSFLOW_WORKER_STALE_SECONDS": "90.5"})
    assert (settings.web_workers, settings.worker_stale_seconds) == (3, 90.5)


def test_a_setting_that_is_not_a_number_is_a_config_error_naming_it():
    with pytest.raises(ConfigError, match=r"^OPSFLOW_WEB_WORKERS='two' is not an integer$"):
        Settings.from_env({"OPSFLOW_WEB_WORKERS": "two"})
