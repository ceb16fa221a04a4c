"""Exporting a deployed version as a package folder: the files as deployed, which deploy takes back unchanged."""
import json

import pytest
from sqlalchemy import select

from engine.cli_versions import write_files
from engine.definitions import find_packages
from engine.errors import NotFound, PackageError
from engine.runtime.catalog import package_path
from engine.store.models import Definition
from tests.conftest import PACKAGES, PROCESSES, edition
from tests.test_cli import cli as cli_fixture
from tests.test_cli import ok, one_line_error

cli = cli_fixture  # `opsflow` in a subprocess on a fresh SQLite file


def version_files(folder):
    """The files of a package folder a version holds (scenarios are not part of one), path -> bytes."""
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in folder.rglob("*")
            if path.is_file() and path.relative_to(folder).parts[0] != "scenarios"}


@pytest.mark.parametrize("package", find_packages(PROCESSES), ids=lambda folder: folder.name)
def test_every_procedure_exported_and_deployed_again_creates_nothing(runtime, tmp_path, package):
    [deployed] = runtime.deploy([package])
    exported = runtime.package_files(deployed["key"])
    assert exported["files"] == version_files(package)
    write_files(tmp_path / "out", exported["files"])
    [again] = runtime.deploy([tmp_path / "out"])
    assert (again["created"], again["version"], again["id"]) == (False, deployed["version"], deployed["id"])
    assert [v["content_hash"] for v in runtime.versions(deployed["key"])] == [exported["content_hash"]]


def test_an_older_version_exports_its_own_files(runtime, tmp_path):
    runtime.deploy([PACKAGES / "expense"])
    second = edition(PACKAGES / "expense", tmp_path / "expense2", 2)
    runtime.deploy([second])
    older, newer = runtime.package_files("expense", 1), runtime.package_files("expense")
    assert (older["version"], older["active"], newer["version"], newer["active"]) == (1, False, 2, True)
    assert older["files"] == version_files(PACKAGES / "expense")
    assert newer["files"] == version_files(second)
    assert older["content_hash"] != newer["content_hash"]


def test_an_unknown_procedure_or_version_is_not_found(runtime):
    runtime.deploy([PACKAGES / "expense"])
    with pytest.raises(NotFound) as unknown_key:
        runtime.package_files("nope")
    with pytest.raises(NotFound) as unknown_version:
        runtime.package_files("expense", 2)
    assert (unknown_key.value.code, unknown_version.value.code) == ("no_procedure", "no_version")


@pytest.mark.parametrize("path", ["/etc/passwd", "../outside", "forms/../../outside", "..", "", "forms//a.yaml",
                                  "./process.yaml", "forms/", "..\\outside", "a\x00b"])
def test_a_path_that_could_leave_the_folder_is_refused(path):
    with pytest.raises(PackageError) as refused:
        package_path(path, "expense v1")
    assert [p.code for p in refused.value.problems] == ["not_relative_path"]


@pytest.mark.parametrize("path", ["process.yaml", "forms/approve.yaml", "..notes.txt", "a..b/c"])
def test_a_relative_path_inside_the_folder_is_kept(path):
    assert package_path(path, "expense v1") == path


def test_a_tampered_stored_path_refuses_the_export(runtime):
    [deployed] = runtime.deploy([PACKAGES / "expense"])
    with runtime.db.write() as session:
        row = session.scalar(select(Definition).where(Definition.id == deployed["id"]))
        row.files = {**row.files, "../../escaped.txt": "boo"}
    with pytest.raises(PackageError, match="escaped.txt"):
        runtime.package_files("expense")


def test_the_cli_exports_the_active_or_a_given_version_into_an_empty_folder(cli, tmp_path):
    ok(cli("init"))
    ok(cli("deploy", PACKAGES / "expense"))
    ok(cli("deploy", edition(PACKAGES / "expense", tmp_path / "expense2", 2)))
    out = tmp_path / "out"
    assert ok(cli("export", "expense", "--into", out)).strip() == (
        f"expense: version 2 written to {out} ({len(version_files(PACKAGES / 'expense'))} files)")
    assert "expense: version 2 unchanged" in ok(cli("deploy", out))
    written = json.loads(ok(cli("export", "expense", "--version", "1", "--into", tmp_path / "v1", "--json")))
    assert (written["version"], written["active"]) == (1, False)
    assert version_files(tmp_path / "v1") == version_files(PACKAGES / "expense")
    assert sorted(written["files"]) == sorted(version_files(PACKAGES / "expense"))


def test_the_cli_refuses_unknown_versions_and_a_folder_in_use_in_one_line(cli, tmp_path):
    ok(cli("init"))
    ok(cli("deploy", PACKAGES / "expense"))
    one_line_error(cli("export", "nope", "--into", tmp_path / "a"), "not_found")
    one_line_error(cli("export", "expense", "--version", "7", "--into", tmp_path / "a"), "not_found")
    assert not (tmp_path / "a").exists()
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine", encoding="utf-8")
    assert "is not empty" in one_line_error(cli("export", "expense", "--into", used), "config")
    assert sorted(p.name for p in used.iterdir()) == ["notes.txt"]
    one_line_error(cli("export", "expense", "--into", used / "notes.txt"), "config")
    ok(cli("export", "expense", "--into", used, "--force"))
    assert (used / "notes.txt").read_text(encoding="utf-8") == "mine" and (used / "process.yaml").is_file()
