"""Every diagram under processes/ is fully drawn so bpmn-js renders it cleanly."""
from itertools import combinations

import pytest
from lxml import etree

from tests.conftest import PROCESSES

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC"}
FLOW_NODES = ("task", "userTask", "scriptTask", "serviceTask", "businessRuleTask", "manualTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "startEvent", "endEvent", "intermediateCatchEvent",
              "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway", "eventBasedGateway")
DIAGRAMS = sorted(PROCESSES.glob("*/*.bpmn"))


def shapes(tree):
    """{element id: (x, y, w, h)} of every drawn shape."""
    found = {}
    for shape in tree.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        found[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width", "height"))
    return found


def overlap(a, b):
    """True when two boxes share area."""
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize("path", DIAGRAMS, ids=[p.parent.name + "/" + p.name for p in DIAGRAMS])
def test_every_node_and_flow_is_drawn_without_overlap(path):
    tree = etree.parse(str(path))
    drawn = shapes(tree)
    edges = {e.get("bpmnElement") for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)}
    nodes = [el for tag in FLOW_NODES for el in tree.iterfind(f".//bpmn:{tag}", NS)]
    assert [n.get("id") for n in nodes if n.get("id") not in drawn] == []
    flows = [f.get("id") for f in tree.iterfind(".//bpmn:sequenceFlow", NS)]
    assert [f for f in flows if f not in edges] == []
    attached = {n.get("id"): n.get("attachedToRef") for n in tree.iterfind(".//bpmn:boundaryEvent", NS)}
    boxes = {n.get("id"): drawn[n.get("id")] for n in nodes if n.tag.split("}")[1] != "subProcess"}
    clashes = [(a, b) for (a, ra), (b, rb) in combinations(boxes.items(), 2)
               if overlap(ra, rb) and attached.get(a) != b and attached.get(b) != a]
    assert clashes == []
