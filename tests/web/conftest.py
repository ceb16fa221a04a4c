"""Web UI fixtures: an app on a copy of a prepared SQLite database (schema, procedures, demo org)."""
import re
import shutil

import pytest

from engine.clock import ManualClock
from tests.webapp import build_app, demo_password, prepare_database

CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture(scope="session")
def prepared_db(tmp_path_factory):
    """One database per test process with the schema, every procedure and the demo organisation."""
    return prepare_database(tmp_path_factory.mktemp("webdb"))


@pytest.fixture
def clock():
    """The web app's clock."""
    return ManualClock()


@pytest.fixture
def app(prepared_db, tmp_path, clock):
    """A fresh app on its own copy of the prepared database."""
    db_file = tmp_path / "opsflow.db"
    shutil.copy(prepared_db, db_file)
    app = build_app(db_file, tmp_path, clock)
    yield app
    app.extensions["opsflow"].db.dispose()


@pytest.fixture
def runtime(app):
    """The app's runtime, for setting up cases directly."""
    return app.extensions["opsflow"]


@pytest.fixture
def client(app):
    """A test client, signed out."""
    return app.test_client()


def sign_in(client, username, password=None):
    """Sign `client` in through the sign-in form (reading its CSRF token when the app checks them)."""
    page = client.get("/login").get_data(as_text=True)
    token = CSRF_FIELD.search(page)
    data = {"username": username, "password": password or demo_password(username)}
    if token:
        data["csrf_token"] = token.group(1)
    response = client.post("/login", data=data)
    assert response.status_code == 302, f"sign-in of {username} failed: {response.status_code}"
    return client


@pytest.fixture
def login(app):
    """login(username) -> a new test client signed in as that user."""
    return lambda username, password=None: sign_in(app.test_client(), username, password)

