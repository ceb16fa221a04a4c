"""Text fields without a `maxLength` get the default one: the page's `maxlength` and the engine's
check agree, a longer posted value is refused at its field, and a schema's own maxLength wins."""
import re
import shutil

import pytest

from engine.definitions.limits import DEFAULT_TEXT_MAX_LENGTH, DEFAULT_TEXTAREA_MAX_LENGTH
from engine.errors import ValidationFailed
from tests.conftest import PACKAGES

NOTE = "    note: {type: string, x-widget: textarea, x-label: {en: Note, zh-Hant: 備註}}\n"


@pytest.fixture
def expense(runtime, tmp_path):
    """The test expense package with a multi-line field that sets no maxLength on its start form."""
    package = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", package)
    form = package / "forms" / "claim.yaml"
    form.write_text(form.read_text(encoding="utf-8") + NOTE, encoding="utf-8")
    runtime.deploy([package])
    return runtime


def control(page, name):
    """The opening tag of the input or textarea named `name`."""
    return re.search(rf'<(input|textarea)[^>]*name="{re.escape(name)}"[^>]*>', page).group(0)


def test_text_fields_without_maxlength_render_the_default(expense, login):
    page = login("ops.lin").get("/start/expense").get_data(as_text=True)
    assert f'maxlength="{DEFAULT_TEXT_MAX_LENGTH}"' in control(page, "purpose")
    assert f'maxlength="{DEFAULT_TEXTAREA_MAX_LENGTH}"' in control(page, "note")


def test_a_posted_value_over_the_default_is_refused_at_its_field(expense, login):
    client = login("ops.lin")
    data = {"purpose": "x" * (DEFAULT_TEXT_MAX_LENGTH + 1), "amount": "420",
            "note": "y" * (DEFAULT_TEXTAREA_MAX_LENGTH + 1)}
    refused = client.post("/start/expense", data=data)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(rf'id="f-purpose-error">must be at most {DEFAULT_TEXT_MAX_LENGTH} characters<', page)
    assert re.search(rf'id="f-note-error">must be at most {DEFAULT_TEXTAREA_MAX_LENGTH} characters<', page)
    fitting = dict(data, purpose="x" * DEFAULT_TEXT_MAX_LENGTH, note="y" * DEFAULT_TEXTAREA_MAX_LENGTH)
    assert client.post("/start/expense", data=fitting).status_code == 302


def test_a_schemas_own_maxlength_wins_over_the_default(expense, login):
    case_id = expense.start("expense", "sales.tseng", {"purpose": "Taxi fare", "amount": 300})
    task_id = expense.case(case_id)["tasks"][0]["id"]
    page = login("sales.yeh").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'maxlength="500"' in control(page, "comment")
    with pytest.raises(ValidationFailed) as caught:
        expense.complete(task_id, "sales.yeh", {"decision": "approve", "comment": "z" * 501})
    assert caught.value.errors == {"comment": "must be at most 500 characters"}
