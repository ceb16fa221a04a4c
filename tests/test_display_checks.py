"""A package's diagram names and repeated-step templates are checked at load, each problem located."""
import shutil

import pytest

from engine.definitions import load_package
from engine.errors import PackageError
from tests.conftest import PACKAGES


def loaded_with(tmp_path, extra):
    """Load a copy of the minimal package with `extra` appended to its manifest: its problems, or []."""
    folder = tmp_path / "minimal"
    shutil.copytree(PACKAGES / "minimal", folder)
    manifest = folder / "process.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + extra, encoding="utf-8")
    try:
        load_package(folder)
    except PackageError as exc:
        return exc.problems
    return []


def test_a_name_for_no_bpmn_element_is_refused_at_its_key(tmp_path):
    problems = loaded_with(tmp_path, "names:\n  nowhere: {en: Nowhere, zh-Hant: 無}\n")
    assert [(p.element, p.message) for p in problems] == [("names.nowhere", "no BPMN element has the id 'nowhere'")]
    assert problems[0].line is not None


@pytest.mark.parametrize(("template", "words"), [
    ('"{{ item.name }}"', "'approve' is not a multi-instance task or sub-process of the diagram"),
    ('"{{ item.name "', "template does not compile"),
])
def test_a_repeated_entry_must_be_a_multi_instance_step_with_a_template_that_compiles(tmp_path, template, words):
    problems = loaded_with(tmp_path, f"repeated:\n  approve: {template}\n")
    assert any(p.element == "repeated.approve" and words in p.message for p in problems), problems


def test_names_of_real_elements_load(tmp_path):
    assert loaded_with(tmp_path, "names:\n  approve: {en: Approve, zh-Hant: 核准}\n") == []
