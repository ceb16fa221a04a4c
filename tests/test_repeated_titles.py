"""Tasks of a multi-instance step say whose they are, in each language, from the manifest's `repeated`."""
from types import SimpleNamespace

from engine.definitions.loader import load_package
from engine.runtime.repeated import task_titles
from tests.conftest import ROOT

IMPROVEMENT = load_package(ROOT / "processes" / "process-improvement")
PROCUREMENT = load_package(ROOT / "processes" / "procurement")


class FakeDirectory:
    """The two look-ups the titles use: users by username, departments through the session."""

    def __init__(self):
        self.session = SimpleNamespace(get=lambda _model, key: {
            "sales": SimpleNamespace(name_en="Sales", name_zh="業務部")}.get(key))

    def user(self, username):
        """A user row with a name, for one known user."""
        return SimpleNamespace(name="Lin Ya-ting") if username == "ops.lin" else None


def test_a_repeated_task_names_its_department_in_each_language():
    titles = task_titles(IMPROVEMENT, "train_staff", "Train", {"department": "sales"}, FakeDirectory())
    assert titles["title_en"].endswith(": Sales")
    assert titles["title_zh"].endswith(": 業務部")


def test_a_repeated_task_names_its_supplier_and_a_broken_template_leaves_the_title():
    assert task_titles(PROCUREMENT, "record_quote", "Quote", {"supplier": {"name": "Acme"}},
                       FakeDirectory())["title_en"] == "Record supplier quote: Acme"
    assert task_titles(PROCUREMENT, "record_quote", "Quote", {}, FakeDirectory())["title_en"] == "Record supplier quote"


def test_a_task_outside_a_repeated_step_keeps_its_form_title():
    titles = task_titles(PROCUREMENT, "select_supplier", "Select", {"supplier": {"name": "Acme"}}, FakeDirectory())
    assert ":" not in titles["title_en"]
