"""Hostile package files (XXE, DTDs, entity bombs, alias bombs, deep nesting, huge files, too many
elements) are refused by `opsflow validate` and `deploy` with one located line, in bounded memory.

Every file is generated here, in a temporary folder: nothing huge is committed. Each probe runs the
real commands in a subprocess (tests/opsflow_probe.py) so a traceback or a runaway parser shows.
Run with `-s` to see the peak memory of each; docs/reliability.md ("Hostile files") records them.
"""
import os
import re
import shutil
import subprocess
import sys

import pytest
from SpiffWorkflow.spiff.parser import SpiffBpmnParser

from engine.definitions import load_package
from engine.definitions.limits import MAX_XML_ELEMENTS
from engine.errors import PackageError
from tests.conftest import ORG_FILE, PACKAGES, ROOT

MINIMAL = PACKAGES / "minimal"
MEMORY_BOUND_MB = 500
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
SCRIPT = '<bpmn:script>approval_status = "approved"</bpmn:script>'
LAUGHS = "\n".join(['<!DOCTYPE definitions [', '<!ENTITY lol "lol">',
                    *(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10)),
                    ']>'])
BOMB = "\n".join(f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9 if previous else ['lol'] * 9)}]"
                 for previous, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True))


def probe(tmp_path, *commands):
    """Run `opsflow` commands in one subprocess: ([(exit code, stderr lines)] per command, peak MB)."""
    env = dict(os.environ, OPSFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'probe.db'}",
               OPSFLOW_PASSWORD_HASH_COST="16")
    args = [arg for command in commands for arg in ("::", *map(str, command))][1:]
    done = subprocess.run([sys.executable, "-m", "tests.opsflow_probe", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    parts = re.split(r"^@@ exit (\d+)\n", done.stderr, flags=re.M)
    results = [(int(code), text.splitlines()) for text, code in zip(parts[0:-1:2], parts[1::2], strict=True)]
    assert len(results) == len(commands), done.stderr[-3000:]
    peak = int(re.search(r"^@@ peak-rss-mb (\d+)$", parts[-1], flags=re.M).group(1))
    return results, peak


def edit(folder, name, old, new):
    """Replace the first `old` in a package file (old=None appends `new`)."""
    path = folder / name
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    assert old is None or old in text, f"{old!r} is not in {name}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + new if old is None else text.replace(old, new, 1), encoding="utf-8")


def with_doctype(folder, doctype, script=None, name="minimal.bpmn"):
    """A DOCTYPE on line 2 of a model file, and optionally an entity used in the script."""
    edit(folder, name, XML_DECLARATION, f"{XML_DECLARATION}\n{doctype}")
    if script:
        edit(folder, name, SCRIPT, f"<bpmn:script>{script}</bpmn:script>")


def annotations(folder, count):
    """`count` text annotations on one line of the process, each a valid BPMN element."""
    notes = "".join(f'<bpmn:textAnnotation id="n{i}" />' for i in range(count))
    edit(folder, "minimal.bpmn", "</bpmn:process>", f"{notes}\n  </bpmn:process>")


def padding(folder, name, size):
    """A file of `size` bytes."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"#" * size)


# id -> (build(folder), file refused, marker on the refused line or None for the whole file, words)
PROBES = {
    "xxe-external-entity": (
        lambda f: with_doctype(f, '<!DOCTYPE bpmn:definitions [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                               'approval_status = "&xxe;"'),
        "minimal.bpmn", "<!DOCTYPE", "DOCTYPE"),
    "external-dtd": (
        lambda f: with_doctype(f, '<!DOCTYPE bpmn:definitions SYSTEM "http://127.0.0.1:9/opsflow.dtd">'),
        "minimal.bpmn", "<!DOCTYPE", "DOCTYPE"),
    "internal-entity-in-content": (
        lambda f: with_doctype(f, '<!DOCTYPE bpmn:definitions [<!ENTITY status "approved">]>',
                               'approval_status = "&status;"'),
        "minimal.bpmn", "<!DOCTYPE", "DOCTYPE"),
    "billion-laughs-dmn": (
        lambda f: (with_doctype(f, LAUGHS, name="review-level.dmn"),
                   edit(f, "review-level.dmn", "<text>amount</text>", "<text>&lol9;</text>")),
        "review-level.dmn", "<!DOCTYPE", "DOCTYPE"),
    "too-many-elements": (
        lambda f: annotations(f, 50_000), "minimal.bpmn", 'id="n0"', f"limit of {MAX_XML_ELEMENTS:,} elements"),
    "deeply-nested-xml": (
        lambda f: edit(f, "minimal.bpmn", "</bpmn:process>",
                       '<bpmn:task id="deep"><bpmn:extensionElements>' + '<x:n xmlns:x="urn:probe">' * 200
                       + "</x:n>" * 200 + "</bpmn:extensionElements></bpmn:task>\n  </bpmn:process>"),
        "minimal.bpmn", 'id="deep"', "nested deeper"),
    "alias-bomb-manifest": (
        lambda f: edit(f, "process.yaml", None, f"bomb:\n{BOMB}\n"), "process.yaml", "e: &e", "aliases"),
    "alias-bomb-form": (
        lambda f: edit(f, "forms/request.yaml", None, f"bomb:\n{BOMB}\n"), "forms/request.yaml", "e: &e", "aliases"),
    "alias-into-itself": (
        lambda f: edit(f, "process.yaml", None, "loop: &loop [1, *loop]\n"), "process.yaml", "loop:", "holds it"),
    "deeply-nested-yaml": (
        lambda f: edit(f, "process.yaml", None, "deep: " + "[" * 500 + "]" * 500 + "\n"),
        "process.yaml", "deep:", "nested deeper"),
    "deeply-nested-json-form": (
        lambda f: (f / "forms/revision.yaml").write_text('{"deep": ' + '{"a": ' * 5000 + "1" + "}" * 5001),
        "forms/revision.yaml", '{"deep"', "nested deeper"),
    "python-tag-manifest": (
        lambda f: edit(f, "process.yaml", None, 'run: !!python/object/apply:os.system ["touch pwned"]\n'),
        "process.yaml", "run:", "python/object/apply:os.system"),
    "huge-file": (lambda f: padding(f, "notes/huge.txt", 3 * 2**20), "notes/huge.txt", None, "3 MB is over the limit"),
    "huge-bpmn-50mb": (
        lambda f: (f / "minimal.bpmn").write_bytes((f / "minimal.bpmn").read_bytes()
                                                   + (b"<!--" + b"x" * 2**20 + b"-->\n") * 50),
        "minimal.bpmn", None, "over the limit of 2 MB per file"),
    "package-over-limit": (
        lambda f: [padding(f, f"notes/part{i}.txt", 19 * 2**20 // 10) for i in range(6)], "", None, "per package"),
}


def refused_line(lines, origin, name, words):
    """The one problem line about `name`, checked to be located in that file and to say `words`."""
    where = f"{origin}/{name}" if name else origin
    pattern = re.compile(rf"^(error \(package\): )?{re.escape(where)}(:(\d+))?( \[[^\]]*\])?: .*{re.escape(words)}")
    found = [match for match in map(pattern.match, lines) if match]
    assert len(found) == 1, lines
    return int(found[0].group(3)) if found[0].group(3) else None


@pytest.mark.parametrize("probe_id", list(PROBES))
def test_hostile_package_is_refused_in_one_located_line(probe_id, tmp_path):
    build, name, marker, words = PROBES[probe_id]
    folder = tmp_path / "minimal"
    shutil.copytree(MINIMAL, folder)
    build(folder)
    expected = None
    if marker:
        lines = (folder / name).read_text(encoding="utf-8").splitlines()
        expected = next(number for number, line in enumerate(lines, 1) if marker in line)
    (init, validate, deploy), peak = probe(tmp_path, ["init"], ["validate", folder], ["deploy", folder])
    assert validate[0] == 2 and validate[1][-1] == "1 problem(s) found", validate
    assert refused_line(validate[1], "minimal", name, words) == expected
    assert deploy[0] == 2 and len(deploy[1]) == 1, deploy
    assert refused_line(deploy[1], "minimal", name, words) == expected
    assert not (ROOT / "pwned").exists() and not (folder / "pwned").exists()
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    print(f"\n{probe_id}: package {size:,} bytes, validate and deploy refused, peak RSS {peak} MB")
    assert peak < MEMORY_BOUND_MB


def test_too_many_elements_are_refused_before_spiffworkflow_parses(tmp_path, monkeypatch):
    folder = tmp_path / "minimal"
    shutil.copytree(MINIMAL, folder)
    annotations(folder, 50_000)
    parsed = []
    monkeypatch.setattr(SpiffBpmnParser, "add_bpmn_xml", lambda parser, root, filename=None: parsed.append(filename))
    with pytest.raises(PackageError) as caught:
        load_package(folder)
    assert [p.message for p in caught.value.problems] == [
        f"refused: more than the limit of {MAX_XML_ELEMENTS:,} elements in one file"]
    assert parsed == []


def test_the_limits_leave_every_demo_procedure_valid():
    for manifest in sorted((ROOT / "processes").glob("*/process.yaml")):
        load_package(manifest.parent)


def test_deeply_nested_json_data_is_refused_without_a_traceback(tmp_path):
    (_, _, start), _ = probe(tmp_path, ["init"], ["org", "load", ORG_FILE],
                             ["start", "minimal", "--as", "ops.lin", "--data", "[" * 100_000])
    assert start[0] == 2 and any("nested too deeply" in line for line in start[1]), start
