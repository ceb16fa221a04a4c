"""Roles a procedure names must exist in the organisation: warned at validate, refused at deploy."""
import shutil

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.definitions.roles import role_references
from engine.errors import PackageError
from tests.conftest import ORG_FILE, PACKAGES


@pytest.fixture
def unknown_role_package(tmp_path):
    """The minimal package with its Approver lane mapped to `approvers`, a role the demo organisation lacks."""
    folder = tmp_path / "minimal"
    shutil.copytree(PACKAGES / "minimal", folder)
    manifest = folder / "process.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("Approver: department-head", "Approver: approvers"), encoding="utf-8")
    return folder


def test_every_kind_of_role_a_manifest_names_is_found():
    manifest = {"owner_role": "a", "start_roles": ["b"], "supervisor_roles": ["c"], "lanes": {"Lane": "d"},
                "tasks": {"t1": {"role": "e"}, "t2": {"form": "forms/x.yaml"}}, "confidential": {"roles": ["f"]}}
    assert role_references(manifest) == [
        (("owner_role",), "a"), (("start_roles", 0), "b"), (("supervisor_roles", 0), "c"), (("lanes", "Lane"), "d"),
        (("tasks", "t1", "role"), "e"), (("confidential", "roles", 0), "f")]


def test_deploy_refuses_a_role_the_loaded_organisation_lacks(runtime, unknown_role_package):
    with pytest.raises(PackageError) as caught:
        runtime.deploy([unknown_role_package])
    [problem] = caught.value.problems
    lines = (unknown_role_package / "process.yaml").read_text(encoding="utf-8").splitlines()
    assert (problem.file, problem.element) == ("minimal/process.yaml", "lanes.Approver")
    assert lines[problem.line - 1].strip() == "Approver: approvers"
    assert problem.message == "role 'approvers' is not a role of the loaded organisation"


def test_deploy_before_any_organisation_says_roles_were_not_checked(unorganised_runtime):
    [unchecked] = unorganised_runtime.deploy([PACKAGES / "minimal"])
    assert unorganised_runtime.load_org(ORG_FILE)["warnings"] == []
    [checked] = unorganised_runtime.deploy([PACKAGES / "minimal"])
    assert (unchecked["created"], unchecked["roles_checked"], checked["roles_checked"]) == (True, False, True)


def test_loading_an_organisation_names_roles_deployed_procedures_lack(unorganised_runtime, unknown_role_package):
    unorganised_runtime.deploy([unknown_role_package])
    counts = unorganised_runtime.load_org(ORG_FILE)
    assert counts["warnings"] == ["minimal v1: lanes.Approver names role 'approvers', which this organisation lacks"]


def test_commands_warn_about_unchecked_and_unknown_roles(tmp_path, unknown_role_package):
    env = {"OPSFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "OPSFLOW_PASSWORD_HASH_COST": "16",
           "OPSFLOW_ORG_FILE": str(ORG_FILE)}
    run = CliRunner(env=env).invoke
    validated = run(main, ["validate", str(unknown_role_package)])
    assert validated.exit_code == 0 and "minimal: ok" in validated.stdout
    assert "[lanes.Approver]: warning: role 'approvers' is not a role of" in validated.stderr
    strict = run(main, ["validate", "--org", str(ORG_FILE), str(unknown_role_package)])
    assert strict.exit_code == 2 and "[lanes.Approver]: role 'approvers'" in strict.stderr
    assert run(main, ["init"]).exit_code == 0
    deployed = run(main, ["deploy", str(unknown_role_package)])
    assert deployed.exit_code == 0 and deployed.stderr.startswith("warning: no organisation is loaded")
    loaded = run(main, ["org", "load", str(ORG_FILE)])
    assert loaded.exit_code == 0
    assert loaded.stderr.splitlines() == [
        "warning: minimal v1: lanes.Approver names role 'approvers', which this organisation lacks"]
    refused = run(main, ["deploy", str(PACKAGES / "minimal"), str(unknown_role_package)])
    assert refused.exit_code == 2 and "not a role of the loaded organisation" in refused.stderr


def test_validate_without_an_organisation_file_says_roles_were_not_checked(tmp_path):
    env = {"OPSFLOW_ORG_FILE": str(tmp_path / "missing.yaml")}
    result = CliRunner(env=env).invoke(main, ["validate", str(PACKAGES / "minimal")])
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: roles not checked: no organisation is loaded")
