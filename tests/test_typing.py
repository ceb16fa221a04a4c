"""mypy, as `make test` runs it (setup.cfg's [mypy]), catches a misspelt key of a typed record."""
import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="mypy is in the test extra: pip install -e '.[test]'")

SETUP_CFG = Path(__file__).resolve().parent.parent / "setup.cfg"

# A record shaped like the runtime's results, read and written by key.
SNIPPET = '''
from typing import TypedDict


class CaseSummary(TypedDict):
    id: int
    status: str
    starter: str


def status_of(case: CaseSummary) -> str:
    return case["{key}"]


def cancel(case: CaseSummary) -> None:
    case["{key}"] = "cancelled"
'''


def mypy_on(tmp_path, key):
    """mypy's report (and exit status) on the snippet reading `key`, with the project's settings."""
    source = tmp_path / "records.py"
    source.write_text(textwrap.dedent(SNIPPET).format(key=key), encoding="utf-8")
    report, errors, status = mypy_api.run(["--config-file", str(SETUP_CFG), "--cache-dir", str(tmp_path / "cache"),
                                           "--no-error-summary", str(source)])
    return report + errors, status


def test_a_misspelt_key_of_a_typed_record_fails_the_check(tmp_path):
    report, status = mypy_on(tmp_path, "stauts")
    assert status == 1
    assert report.count('TypedDict "CaseSummary" has no key "stauts"') == 2, report


def test_the_right_key_passes(tmp_path):
    report, status = mypy_on(tmp_path, "status")
    assert (status, report) == (0, "")
