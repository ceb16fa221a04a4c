"""No default session key: the app and `opsflow serve` refuse to run without a real one, and `make run` keeps one."""
import os
import secrets
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from engine.errors import ConfigError
from tests.conftest import ROOT
from tests.webapp import build_app
from webui import create_app

OLD_DEMO_KEY = "opsflow-demo-secret-change-me"  # the default of earlier releases, printed in their README


def forge_session(key, data):
    """A session cookie value signed with `key` the way Flask signs one."""
    forger = Flask("forger")
    forger.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(forger).dumps(data)


@pytest.mark.parametrize("key", [None, "", OLD_DEMO_KEY, "short-key"])
def test_the_app_refuses_to_run_without_a_real_key(monkeypatch, tmp_path, key):
    monkeypatch.delenv("OPSFLOW_SECRET_KEY", raising=False)
    if key is not None:
        monkeypatch.setenv("OPSFLOW_SECRET_KEY", key)
    with pytest.raises(ConfigError, match="^OPSFLOW_SECRET_KEY .*export OPSFLOW_SECRET_KEY="):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'opsflow.db'}"})


def test_a_test_app_without_a_key_gets_a_random_one(monkeypatch, tmp_path):
    monkeypatch.delenv("OPSFLOW_SECRET_KEY", raising=False)
    apps = [create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'opsflow.db'}"}) for _ in range(2)]
    keys = {app.secret_key for app in apps}
    assert len(keys) == 2 and OLD_DEMO_KEY not in keys
    for app in apps:
        app.extensions["opsflow"].db.dispose()


def test_a_session_forged_with_the_old_demo_key_signs_nobody_in(prepared_db, tmp_path):
    shutil.copy(prepared_db, tmp_path / "forged.db")
    key = secrets.token_urlsafe(48)
    app = build_app(tmp_path / "forged.db", tmp_path, TESTING=False, SECRET_KEY=key)
    session = {"_user_id": "ops.chen:0", "_fresh": True}
    forged = app.test_client()
    forged.set_cookie("opsflow_session", forge_session(OLD_DEMO_KEY, session))
    assert forged.get("/inbox").location.startswith("/login")
    # The same session signed with the app's own key is accepted: the forgery is well-formed, only the key is wrong.
    genuine = app.test_client()
    genuine.set_cookie("opsflow_session", forge_session(key, session))
    assert genuine.get("/inbox").status_code == 200
    app.extensions["opsflow"].db.dispose()


@pytest.mark.parametrize(("key", "problem"), [(None, "is not set"), (OLD_DEMO_KEY, "is the published demo key")])
def test_serve_without_a_key_refuses_in_one_line(tmp_path, key, problem):
    env = {name: value for name, value in os.environ.items() if name != "OPSFLOW_SECRET_KEY"}
    env["OPSFLOW_DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.db'}"
    if key:
        env["OPSFLOW_SECRET_KEY"] = key
    opsflow = [sys.executable, "-m", "webui.cli"]
    subprocess.run([*opsflow, "init"], env=env, check=True, capture_output=True)
    refused = subprocess.run([*opsflow, "serve", "--port", "1", "--no-worker"], env=env, capture_output=True,
                             text=True, timeout=60)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.count("\n") == 1
    assert refused.stderr.startswith(f"error (config): OPSFLOW_SECRET_KEY {problem}; ")
    assert "make run" in refused.stderr and "token_urlsafe" in refused.stderr


def test_make_run_makes_one_private_key_and_keeps_it(tmp_path):
    venv = Path(sys.executable).parent.parent  # the Makefile's rule runs $(VENV)/bin/python: this one
    make = ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "-C", str(tmp_path), f"VENV={venv}",
            "instance/secret_key"]
    key_file = tmp_path / "instance" / "secret_key"
    first = subprocess.run(make, capture_output=True, text=True, check=True)
    assert "made a random session key" in first.stdout
    key = key_file.read_text()
    assert len(key.strip()) >= 48 and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    again = subprocess.run(make, capture_output=True, text=True, check=True)
    assert "made a random session key" not in again.stdout and key_file.read_text() == key
    key_file.unlink()
    subprocess.run(make, capture_output=True, text=True, check=True)
    assert key_file.read_text() != key  # random, not a fixed string
