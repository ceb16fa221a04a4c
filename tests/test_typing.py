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


# The runtime's own results, read by key as the web and the CLI read them.
RUNTIME_SNIPPET = '''
from engine.runtime.service import Runtime


def status_of(runtime: Runtime) -> str:
    return runtime.case(1)["{case_key}"]


def may_complete(runtime: Runtime) -> bool:
    return runtime.task_page("a-task", "ops.chen")["{page_key}"]["can_complete"]


def diagram_of(runtime: Runtime) -> str:
    return runtime.case(1, "ops.chen", "en")["diagram"]["xml"]
'''


@pytest.fixture(scope="module")
def runtime_cache(tmp_path_factory):
    """One mypy cache for the runtime snippets: the second run re-checks only the snippet, not all of engine/."""
    return tmp_path_factory.mktemp("mypy-cache")


def mypy_on_runtime(tmp_path, cache, monkeypatch, case_key, page_key):
    """mypy's report (and exit status) on a snippet reading a case and a task page by these keys."""
    monkeypatch.chdir(SETUP_CFG.parent)  # where mypy finds the engine package the snippet imports
    source = tmp_path / "reads.py"
    source.write_text(textwrap.dedent(RUNTIME_SNIPPET).format(case_key=case_key, page_key=page_key), encoding="utf-8")
    report, errors, status = mypy_api.run(["--config-file", str(SETUP_CFG), "--cache-dir", str(cache),
                                           "--no-error-summary", str(source)])
    return report + errors, status


def test_a_misspelt_key_of_a_runtime_result_fails_the_check(tmp_path, runtime_cache, monkeypatch):
    report, status = mypy_on_runtime(tmp_path, runtime_cache, monkeypatch, "stauts", "actoins")
    assert status == 1
    assert 'TypedDict "CaseView" has no key "stauts"' in report, report
    assert 'TypedDict "TaskPage" has no key "actoins"' in report, report
    assert report.count("error:") == 2, report


def test_the_right_keys_of_runtime_results_pass(tmp_path, runtime_cache, monkeypatch):
    report, status = mypy_on_runtime(tmp_path, runtime_cache, monkeypatch, "status", "actions")
    assert (status, report) == (0, "")
