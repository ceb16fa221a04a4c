"""A confidential procedure shows a case only to its roles and the users its expressions name."""
import pytest

from engine.errors import NotFound
from tests.conftest import PACKAGES
from tests.test_runtime import open_tasks


@pytest.fixture
def deployed(runtime):
    """Runtime with the confidential appraisal package deployed."""
    runtime.deploy([PACKAGES / "appraisal"])
    return runtime


def sees(runtime, case, user):
    """Whether `user` may open the case."""
    try:
        runtime.case(case, user)
    except NotFound:
        return False
    return True


def test_only_hr_the_employee_and_the_manager_see_the_case(deployed):
    case = deployed.start("appraisal", "hr.yang", {"employee": "sales.lu"})
    deployed.complete(open_tasks(deployed, case)["self_assess"].id, "sales.lu", {"self_score": 4})
    kpi = open_tasks(deployed, case)["supply_kpis"]
    assert deployed.task(kpi.id, "ops.lin")["task_key"] == "supply_kpis"
    deployed.complete(kpi.id, "ops.lin", {"kpi_attainment": 96.5})
    allowed = {u: sees(deployed, case, u) for u in ("hr.yang", "hr.liu", "sales.lu", "sales.yeh", "ops.lin",
                                              "ops.wang", "it.wu", "sales.tseng", "ceo.lee")}
    assert allowed == {"hr.yang": True, "hr.liu": True, "sales.lu": True, "sales.yeh": True, "ops.lin": False,
                       "ops.wang": False, "it.wu": False, "sales.tseng": False, "ceo.lee": False}


def test_outsiders_cannot_reach_its_tasks_and_hr_supervises(deployed):
    case = deployed.start("appraisal", "hr.yang", {"employee": "sales.lu"})
    task_id = open_tasks(deployed, case)["self_assess"].id
    for outsider in ("ops.wang", "it.wu"):
        with pytest.raises(NotFound):
            deployed.task(task_id, outsider)
        with pytest.raises(NotFound):
            deployed.reassign(task_id, outsider, "sales.tseng")
    deployed.reassign(task_id, "hr.liu", "sales.lu")


def test_a_viewer_expression_that_does_not_compile_is_located(tmp_path):
    import shutil

    from engine.definitions import load_package
    from engine.errors import PackageError

    package = tmp_path / "appraisal"
    shutil.copytree(PACKAGES / "appraisal", package)
    manifest = package / "process.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("manager_of(employee)]", "employee.__class__]"),
                        encoding="utf-8")
    with pytest.raises(PackageError) as info:
        load_package(package)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.element) == ("appraisal/process.yaml", 10, "confidential.users[1]")
    assert "does not compile" in problem.message
