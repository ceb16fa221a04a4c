"""Scripts and expressions from packages cannot escape, cannot hang, and leave JSON-safe data."""
import pytest

from engine import sandbox
from engine.errors import ScriptError


@pytest.mark.parametrize("source", [
    "__import__('os')",
    "x.__class__.__mro__",
    "open('/etc/passwd')",
    "getattr(x, '__class__')",
    "eval('1')",
])
def test_escapes_are_refused(source):
    with pytest.raises(ScriptError):
        sandbox.evaluate(source, {"x": 1})


def test_imports_are_refused_before_running():
    with pytest.raises(ScriptError, match="imports are not allowed"):
        sandbox.execute("import os\nresult = os.getcwd()", {})


@pytest.mark.parametrize("source", ["while True:\n    pass", "x = [i for i in range(10**12)]"])
def test_endless_scripts_are_stopped(source):
    with pytest.raises(ScriptError, match="longer than"):
        sandbox.execute(source, {}, limit=0.2)


def test_scripts_update_data_with_json_safe_values():
    data = {"items": [{"qty": 2, "price": 10.5}], "old": 1}
    sandbox.execute("total = sum(i['qty'] * i['price'] for i in items)\n"
                    "tags = {'b', 'a'}\nwhen = date(2026, 1, 2)\ndel old", data)
    assert data == {"items": [{"qty": 2, "price": 10.5}], "total": 21.0, "tags": ["a", "b"],
                    "when": "2026-01-02"}


def test_expressions_see_names_and_helpers():
    assert sandbox.evaluate("manager_of(user) == 'boss'", {"user": "me", "manager_of": lambda u: "boss"})
    assert sandbox.evaluate("max(a, b) + len(c)", {"a": 1, "b": 5, "c": [1, 2]}) == 7
