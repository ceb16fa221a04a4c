"""The stored workflow is the live one: every save of every scenario round-trips exactly.

Whether a scenario reaches its expected end is test_scenarios' business; here any save that
differs from SpiffWorkflow's own converter, or reloads to different task data, fails.
"""
import pytest
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.task import Task

from engine.definitions import find_packages
from engine.runtime import spiff
from engine.scenarios import make_runtime, org_file_for, run_file, scenario_files
from tests.conftest import PROCESSES

SCENARIOS = [(pkg, path) for pkg in find_packages([PROCESSES]) for path in scenario_files(pkg)]


class CheckingCodec:
    """The runtime's codec, checking each save against SpiffWorkflow's own converter and a reload."""

    def __init__(self, codec, spec_loader):
        self.codec = codec
        self.version = codec.version
        self.reference = spiff.WorkflowCodec(spec_loader)
        TaskConverter(Task, self.reference.serializer.registry)
        self.saves = 0

    def new(self, spec, subprocess_specs):
        """As the runtime's codec."""
        return self.codec.new(spec, subprocess_specs)

    def loads(self, text):
        """As the runtime's codec."""
        return self.codec.loads(text)

    def dumps(self, workflow):
        """Serialize, then prove the text is the library's and reloads to the same task data."""
        text = self.codec.dumps(workflow)
        assert text == self.reference.dumps(workflow)
        assert _task_data(self.codec.loads(text)) == _task_data(workflow)
        self.saves += 1
        return text


def _task_data(workflow):
    """Every task's id, state and data, the subprocesses' included."""
    return {str(t.id): (t.state, t.data) for t in spiff.all_tasks(workflow)}


@pytest.mark.parametrize("package_dir,path", SCENARIOS, ids=[f"{p.name}/{s.stem}" for p, s in SCENARIOS])
def test_every_save_of_a_scenario_reloads_to_the_live_workflow(tmp_path, package_dir, path):
    runtime = make_runtime(tmp_path)
    runtime.load_org(org_file_for(package_dir))
    runtime.deploy([package_dir])
    runtime.codec = CheckingCodec(runtime.codec, runtime.catalog.specs_for)
    try:
        run_file(runtime, package_dir, path)
    finally:
        runtime.db.dispose()
    assert runtime.codec.saves > 0
