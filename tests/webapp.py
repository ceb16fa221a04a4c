"""The web app on a prepared SQLite database, and the cases its tests set up: shared by tests/web and tests/browser."""
import shutil
from pathlib import Path

import yaml

from engine.clock import ManualClock
from tests.conftest import ORG_FILE, PACKAGES, PROCESSES
from webui import create_app

# Setting up cases a test is not about goes straight to the engine; what a test is about goes through the UI.
PURCHASE = {"title": "Two monitors for the support desk", "justification": "The old screens flicker and hurt eyes.",
            "category": "it", "needed_by": "2026-12-20",
            "items": [{"description": "27-inch monitor", "quantity": 2, "unit": "pcs", "unit_price": 9000}]}


def demo_password(username):
    """The documented demo password of a user (processes/README.md)."""
    return "demo-" + username.replace(".", "-")


def build_app(db_file, folder, clock=None, **config):
    """An app on `db_file` whose runtime runs on a manual clock (timers and due dates under test control).

    Test-client defaults: TESTING, CSRF and rate limits off, cheap password hashes; `config` overrides them.
    """
    settings = {"TESTING": True, "DATABASE_URL": f"sqlite:///{db_file}", "PASSWORD_HASH_COST": 2**4,
                "ATTACHMENTS_PATH": str(Path(folder) / "attachments"), "SECRET_KEY": "test-secret",
                "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False}
    settings.update(config)
    app = create_app(settings)
    app.extensions["opsflow"].clock = clock or ManualClock()
    return app


def prepare_database(folder):
    """A database file in `folder` with the schema, every package of processes/ and the demo organisation."""
    db_file = Path(folder) / "template.db"
    runtime = build_app(db_file, folder).extensions["opsflow"]
    runtime.init()
    runtime.deploy(sorted(p.parent for p in PROCESSES.glob("*/process.yaml")))
    runtime.load_org(ORG_FILE)
    runtime.db.dispose()
    return db_file


def start_purchase(runtime, user="ops.lin", **changes):
    """Start a small purchase request as `user`; return the case id."""
    return runtime.start("procurement", user, dict(PURCHASE, **changes))


def approved_purchase(runtime, user="ops.lin", **changes):
    """A purchase request its department head approved: (case id, the open procurement task row)."""
    case_id = start_purchase(runtime, user, **changes)
    head_task = runtime.case(case_id)["tasks"][0]
    runtime.complete(head_task["id"], head_task["assignee"], {"head_decision": "approve"})
    return case_id, runtime.case(case_id)["tasks"][0]


def stuck_expense(runtime, folder):
    """A case whose approval went to nobody: the expense package without stand-ins, started by ceo.lee, who has
    no manager; returns (case id, task id). ops.wang supervises the procedure."""
    package = Path(folder) / "expense"
    shutil.copytree(PACKAGES / "expense", package)
    manifest = package / "process.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "    candidates: '[] if assignee else users_with_role(\"department-head\")'\n", ""), encoding="utf-8")
    runtime.deploy([package])
    case_id = runtime.start("expense", "ceo.lee", {"purpose": "Taxi to the supplier", "amount": 420,
                                                   "spent_on": "2026-01-02"})
    return case_id, runtime.case(case_id)["tasks"][0]["id"]


def deploy_brittle_instructions(runtime, folder):
    """Deploy the minimal package whose approval instructions fail on an unknown reason, quoting the reason."""
    package = Path(folder) / "minimal"
    shutil.copytree(PACKAGES / "minimal", package)
    approval = package / "forms" / "approval.yaml"
    form = yaml.safe_load(approval.read_text(encoding="utf-8"))
    # A look-up keyed by case data: an unknown reason makes the template fail with the reason in its error.
    form["instructions"] = {"en": '{{ {"urgent": "Call the requester."}[reason].upper() }}',
                            "zh-Hant": '{{ {"urgent": "請致電申請人。"}[reason].upper() }}'}
    approval.write_text(yaml.safe_dump(form, allow_unicode=True), encoding="utf-8")
    runtime.deploy([package])
