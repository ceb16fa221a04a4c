"""The web app factory: configuration, the runtime it builds, the start page and /healthz."""
import pytest

from webui import create_app

BPMN = """\
<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="defs" targetNamespace="test">
  <bpmn:process id="hello" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>flow</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="end"><bpmn:incoming>flow</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flow" sourceRef="start" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""

MANIFEST = """\
key: hello
process_id: hello
name: {en: Say hello, zh-Hant: 打招呼}
description: {en: The smallest procedure, zh-Hant: 最小的流程}
owner_role: employee
start_roles: [employee]
lanes: {}
start_form: forms/start.yaml
"""

START_FORM = """\
title: {en: Say hello, zh-Hant: 打招呼}
schema: {type: object, properties: {}}
"""


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


def write_package(folder):
    """Write a one-step procedure package into `folder` and return its path."""
    (folder / "forms").mkdir(parents=True)
    (folder / "process.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / "hello.bpmn").write_text(BPMN, encoding="utf-8")
    (folder / "forms" / "start.yaml").write_text(START_FORM, encoding="utf-8")
    return folder


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
    first = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})
    second = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}"})
    assert first.extensions["opsflow"] is not second.extensions["opsflow"]


def test_healthz_reports_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_index_without_procedures_says_how_to_deploy(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"No procedures are deployed yet" in response.data
    assert b"task forms come next" in response.data


def test_index_lists_deployed_procedures(app, client, tmp_path):
    app.extensions["opsflow"].deploy([write_package(tmp_path / "hello")])
    page = client.get("/").get_data(as_text=True)
    assert "Say hello" in page
    assert "打招呼" in page
    assert "version 1" in page
