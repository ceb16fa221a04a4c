"""Every task's instructions, in both languages, name people by their full names: no username of the demo
organisation is shown raw, on any step any scenario of any procedure opens."""
import re

import pytest

from engine.scenarios import make_runtime, org_file_for, run_file, scenario_files
from tests.test_duties import PACKAGES, USERS, supervisors

USERNAME = re.compile(r"(?<![\w.@])(" + "|".join(re.escape(u) for u in USERS) + r")(?![\w@]|\.\w)")


class Reader:
    """Reads the instructions of every open task as a supervisor would, once per step and language."""

    def __init__(self, runtime, manifest):
        self.runtime, self.boss = runtime, supervisors(manifest)[0]
        self.read, self.raw = set(), []

    def __call__(self, case_id):
        for task in self.runtime.case(case_id)["tasks"]:
            for language in ("en", "zh-Hant"):
                if (task["task_key"], language) in self.read:
                    continue
                self.read.add((task["task_key"], language))
                text = self.runtime.task(task["id"], self.boss, language)["instructions"]
                self.raw += [f"{task['task_key']} ({language}): {found}" for found in USERNAME.findall(text)]


@pytest.mark.slow
@pytest.mark.parametrize("package_dir", PACKAGES, ids=[p.name for p in PACKAGES])
def test_instructions_show_people_by_name_not_username(package_dir, tmp_path):
    runtime = make_runtime(tmp_path)
    runtime.load_org(org_file_for(package_dir))
    runtime.deploy([package_dir])
    reader = Reader(runtime, next(d["manifest"] for d in runtime.definitions()))
    for path in scenario_files(package_dir):
        assert run_file(runtime, package_dir, path, watch=reader).passed
    assert reader.read and reader.raw == []
    runtime.db.dispose()


def test_an_earlier_probation_review_reads_as_its_outcome_not_its_code(tmp_path):
    package_dir = next(p for p in PACKAGES if p.name == "employee-onboarding")
    runtime = make_runtime(tmp_path)
    runtime.load_org(org_file_for(package_dir))
    runtime.deploy([package_dir])
    boss = supervisors(next(d["manifest"] for d in runtime.definitions()))[0]
    texts = []

    def read(case_id):
        for task in runtime.case(case_id)["tasks"]:
            if task["task_key"] == "review_probation":
                texts.extend(runtime.task(task["id"], boss, language)["instructions"] for language in ("en", "zh-Hant"))

    path = next(p for p in scenario_files(package_dir) if "extended-twice" in p.name)
    assert run_file(runtime, package_dir, path, watch=read).passed
    later = [text for text in texts if "Review 1 (" in text or "第 1 次考核" in text]
    assert later and all("extend." not in text and "：extend" not in text for text in later)
    assert any("extended by 30 days" in text for text in later) and any("延長 30 天。" in text for text in later)
    runtime.db.dispose()
