"""A broken organisation file is refused by `opsflow org load` (and `validate --org`) with one located
line per problem, no traceback, and the organisation already loaded stays as it was."""
import sqlite3

import pytest

from engine.org import OrgError, read_org_file
from tests.conftest import ORG_FILE, ROOT
from tests.test_hostile_files import BOMB, probe

GOOD = """\
departments:
  - key: ops
    name: {en: Operations, zh-Hant: 營運}
    head: ops.wang
roles:
  - key: employee
    name: {en: Employee, zh-Hant: 員工}
users:
  - username: ops.wang
    name: Wang
    department: ops
    roles: [employee]
    password: demo-ops-wang
"""

# id -> (edit of GOOD as (old, new), or the whole text; the line of the problem; words of its message)
BROKEN = {
    "not-yaml": ("users: [\n", 2, "not valid YAML"),
    "python-tag": ((GOOD, GOOD + 'run: !!python/object/apply:os.system ["touch pwned"]\n'), 14,
                   "python/object/apply:os.system"),
    "not-a-mapping": ("- ops.wang\n", 1, "must be a mapping"),
    "missing-password": (("    password: demo-ops-wang\n", ""), 9, "'password' is a required property"),
    "missing-name-language": (("{en: Operations, zh-Hant: 營運}", "{en: Operations}"), 3,
                              "'zh-Hant' is a required property"),
    "wrong-type": (("    roles: [employee]\n", "    roles: employee\n"), 12, "is not of type 'array'"),
    "unknown-key": (("    name: Wang\n", "    nmae: Wang\n"), 10, "'nmae' was unexpected"),
    "unknown-role": (("roles: [employee]", "roles: [employee, boss]"), 12, "role 'boss' is not declared"),
    "unknown-head": (("head: ops.wang", "head: ops.chen"), 4, "head 'ops.chen' is not a user"),
    "duplicate-user": ((GOOD, GOOD + "  - {username: ops.wang, password: again}\n"), 14,
                       "username 'ops.wang' is declared twice"),
    "alias-bomb": ((GOOD, GOOD + f"bomb:\n{BOMB}\n"), 20, "aliases"),
}


def broken_text(change):
    """The organisation file text of one BROKEN entry."""
    return change if isinstance(change, str) else GOOD.replace(change[0], change[1], 1)


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_organisation_file_is_one_located_problem(case, tmp_path):
    change, line, words = BROKEN[case]
    path = tmp_path / "org.yaml"
    path.write_text(broken_text(change), encoding="utf-8")
    with pytest.raises(OrgError) as caught:
        read_org_file(path)
    assert [(p.file, p.line) for p in caught.value.problems] == [(str(path), line)]
    assert words in caught.value.problems[0].message


def test_org_load_prints_one_line_per_problem_and_keeps_the_loaded_organisation(tmp_path):
    files = [tmp_path / f"{case}.yaml" for case in BROKEN]
    for path, (change, _, _) in zip(files, BROKEN.values(), strict=True):
        path.write_text(broken_text(change), encoding="utf-8")
    commands = [["init"], ["org", "load", ORG_FILE], *(["org", "load", path] for path in files),
                ["validate", "--org", files[0], ORG_FILE.parent / "procurement"]]
    results, peak = probe(tmp_path, *commands)
    for path, (case, (_, line, words)), (code, lines) in zip(files, BROKEN.items(), results[2:], strict=False):
        assert code == 2 and len(lines) == 1, (case, lines)
        assert lines[0].startswith(f"error (org): {path}:{line}") and words in lines[0], (case, lines)
    assert results[-1][0] == 2 and results[-1][1][0].startswith(f"error (org): {files[0]}:2")
    with sqlite3.connect(tmp_path / "probe.db") as kept:
        assert kept.execute("SELECT count(*) FROM users").fetchone() == (22,)
    assert not (ROOT / "pwned").exists()
    print(f"\norg load of {len(files)} broken files: each one line, peak RSS {peak} MB")


def test_the_demo_organisation_still_loads():
    assert len(read_org_file(ORG_FILE)["users"]) == 22
