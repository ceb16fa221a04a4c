"""Web UI fixtures: an app on a copy of a prepared SQLite database (schema, procedures, demo org)."""
import re
import shutil

import pytest

from engine.clock import ManualClock
from tests.conftest import ORG_FILE, PROCESSES
from webui import create_app

# A password every test account shares is not needed: the demo passwords are documented values.
CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def demo_password(username):
    """The documented demo password of a user (processes/README.md)."""
    return "demo-" + username.replace(".", "-")


def build_app(db_file, tmp_path, clock=None, **config):
    """An app on `db_file` whose runtime runs on a manual clock (timers and due dates under test control)."""
    settings = {"TESTING": True, "DATABASE_URL": f"sqlite:///{db_file}", "PASSWORD_HASH_COST": 2**4,
                "ATTACHMENTS_PATH": str(tmp_path / "attachments"), "SECRET_KEY": "test-secret",
                "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    settings.update(config)
    app = create_app(settings)
    app.extensions["opsflow"].clock = clock or ManualClock()
    return app


@pytest.fixture(scope="session")
def prepared_db(tmp_path_factory):
    """One database per test process with the schema, every procedure and the demo organisation."""
    folder = tmp_path_factory.mktemp("webdb")
    db_file = folder / "template.db"
    app = build_app(db_file, folder)
    runtime = app.extensions["opsflow"]
    runtime.init()
    runtime.deploy(sorted(p.parent for p in PROCESSES.glob("*/process.yaml")))
    runtime.load_org(ORG_FILE)
    runtime.db.dispose()
    return db_file


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
def rt(app):
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


PURCHASE = {"title": "Two monitors for the support desk", "justification": "The old screens flicker and hurt eyes.",
            "category": "it", "needed_by": "2026-12-20",
            "items": [{"description": "27-inch monitor", "quantity": 2, "unit": "pcs", "unit_price": 9000}]}


def start_purchase(runtime, user="ops.lin", **changes):
    """Start a small purchase request as `user`; return the case id."""
    return runtime.start("procurement", user, dict(PURCHASE, **changes))
