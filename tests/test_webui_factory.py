"""The web app factory: configuration and the runtime it builds (/healthz: tests/web/test_healthz.py)."""
import pytest

from webui import create_app


@pytest.fixture
def app(tmp_path):
    """An app on its own SQLite database with the schema created."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'opsflow.db'}"})
    app.extensions["opsflow"].init()
    yield app
    app.extensions["opsflow"].db.dispose()


@pytest.fixture
def client(app):
    """A test client of the app."""
    return app.test_client()


def test_test_config_database_url_reaches_the_runtime(app, tmp_path):
    assert app.extensions["opsflow"].settings.database_url == f"sqlite:///{tmp_path / 'opsflow.db'}"
    assert app.testing


def test_secret_key_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OPSFLOW_SECRET_KEY", "from-the-environment")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'opsflow.db'}"})
    assert app.secret_key == "from-the-environment"


def test_test_config_overrides_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OPSFLOW_SECRET_KEY", "from-the-environment")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'opsflow.db'}", "SECRET_KEY": "from-test-config"})
    assert app.secret_key == "from-test-config"


def test_each_app_gets_its_own_runtime(tmp_path):
    first = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})
    second = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"})
    assert first.extensions["opsflow"] is not second.extensions["opsflow"]


def test_home_sends_a_stranger_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.location.startswith("/login")
