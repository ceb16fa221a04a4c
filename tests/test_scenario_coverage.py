"""Every flow node of every procedure is reached by at least one of its scenarios."""
import pytest
import yaml
from lxml import etree

from engine.definitions import find_packages
from engine.scenarios import ScenarioRun, make_runtime, org_file_for, scenario_files
from tests.conftest import PROCESSES

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
NODES = ("userTask", "scriptTask", "businessRuleTask", "serviceTask", "manualTask", "sendTask", "receiveTask",
         "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "intermediateCatchEvent",
         "intermediateThrowEvent", "boundaryEvent", "endEvent", "startEvent", "subProcess", "callActivity")
PACKAGES = find_packages([PROCESSES])


def flow_nodes(package_dir):
    """Ids of the package's flow nodes; timer start events only schedule (cases run from the plain start)."""
    ids = set()
    for path in package_dir.glob("*.bpmn"):
        tree = etree.parse(str(path))
        for tag in NODES:
            ids |= {node.get("id") for node in tree.iterfind(f".//bpmn:{tag}", NS)
                    if not (tag == "startEvent" and node.find("bpmn:timerEventDefinition", NS) is not None)}
    return ids


@pytest.mark.parametrize("package_dir", PACKAGES, ids=[p.name for p in PACKAGES])
def test_scenarios_reach_every_flow_node(tmp_path, package_dir):
    runtime = make_runtime(tmp_path)
    runtime.load_org(org_file_for(package_dir))
    runtime.deploy([package_dir])
    reached = set()
    for path in scenario_files(package_dir):
        run = ScenarioRun(runtime, yaml.safe_load(path.read_text(encoding="utf-8")))
        run.run()
        if run.case is not None:
            reached |= set(runtime.case(run.case)["path"])
    runtime.db.dispose()
    assert sorted(flow_nodes(package_dir) - reached) == []
