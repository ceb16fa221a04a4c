"""The stored workflow is the live one: every save of every scenario round-trips exactly.

Whether a scenario reaches its expected end is test_scenarios' business; here any save that
differs from SpiffWorkflow's own converter, or reloads to different task data, fails.
"""
import pytest
import yaml
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.task import Task

from engine.definitions import find_packages
from engine.runtime import spiff
from engine.scenarios import make_runtime, org_file_for, run_file, scenario_files
from tests.conftest import PROCESSES

SCENARIOS = [(pkg, path) for pkg in find_packages([PROCESSES]) for path in scenario_files(pkg)]


def check_every_save(codec, spec_loader):
    """Make the runtime's codec prove, on each save, that its text is the library's and reloads the same."""
    reference = spiff.WorkflowCodec(spec_loader)
    TaskConverter(Task, reference.serializer.registry)
    own_dumps, saves = codec.dumps, []

    def dumps(workflow):
        text = own_dumps(workflow)
        assert text == reference.dumps(workflow)
        assert _task_data(codec.loads(text)) == _task_data(workflow)
        saves.append(1)
        return text

    codec.dumps = dumps
    return saves


def _task_data(workflow):
    """Every task's id, state and data, the live sub-processes' included.

    Left out: cancelled tasks, and the tasks of sub-processes whose owning task a cancel ended.
    SpiffWorkflow itself does not restore those (its own converter writes the same text), and
    nothing reads them once the case is cancelled.
    """
    ended = {sp for sp_id, sp in workflow.subprocesses.items()
             if (owner := spiff.find_task(workflow, sp_id)) is None or owner.state == spiff.TaskState.CANCELLED}
    tasks = list(workflow.tasks.values())
    tasks += [t for sp in workflow.subprocesses.values() if sp not in ended for t in sp.tasks.values()]
    return {str(t.id): (t.state, t.data) for t in tasks if t.state != spiff.TaskState.CANCELLED}


@pytest.mark.parametrize("package_dir,path", SCENARIOS, ids=[f"{p.name}/{s.stem}" for p, s in SCENARIOS])
def test_every_save_of_a_scenario_reloads_to_the_live_workflow(tmp_path, package_dir, path):
    runtime = make_runtime(tmp_path)
    runtime.load_org(org_file_for(package_dir))
    runtime.deploy([package_dir])
    saves = check_every_save(runtime.codec, runtime.catalog.specs_for)
    try:
        run_file(runtime, package_dir, path)
    finally:
        runtime.db.dispose()
    refused_at_start = "expect_error" in (yaml.safe_load(path.read_text(encoding="utf-8"))["start"])
    assert bool(saves) != refused_at_start
