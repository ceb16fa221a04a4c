"""Graph checks SpiffWorkflow's parser skips: flows, gateways, messages and calls."""
import re

from lxml import etree

from engine.definitions.documents import Document, Model, bpmn
from engine.definitions.model import Problem
from engine.error_codes import Coded

FLOW_NODES = frozenset(bpmn(tag) for tag in (
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
    "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
    "complexGateway", "startEvent", "endEvent", "intermediateCatchEvent",
    "intermediateThrowEvent", "boundaryEvent",
))
CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")


def kind(element: etree._Element) -> str:
    """An element's kind in words: `exclusiveGateway` -> `exclusive gateway`."""
    return re.sub(r"(?<!^)([A-Z])", r" \1", etree.QName(element).localname).lower()


def owner(element: etree._Element) -> etree._Element:
    """The flow node or sequence flow an inner element (script, timer, condition) belongs to, or the element
    itself when it belongs to none (an event definition written at the top level of the file)."""
    found: etree._Element | None = element
    while found is not None:
        if found.tag in FLOW_NODES or found.tag == bpmn("sequenceFlow"):
            return found
        found = found.getparent()
    return element


def parent_of(element: etree._Element) -> etree._Element:
    """The element's parent, or the element itself when it is the root of its file (a malformed model)."""
    parent = element.getparent()
    return parent if parent is not None else element


def _needs_incoming(node: etree._Element) -> bool:
    """False for nodes that start by themselves: start and boundary events, event sub-processes..."""
    tag = etree.QName(node).localname
    if tag in ("startEvent", "boundaryEvent"):
        return False
    if node.get("triggeredByEvent") == "true" or node.get("isForCompensation") == "true":
        return False
    return not (tag == "intermediateCatchEvent" and node.find(bpmn("linkEventDefinition")) is not None)


def _container_problems(document: Document, container: etree._Element) -> list[Problem]:
    """Flows and boundary events pointing at unknown nodes, and nodes no flow reaches, in one container."""
    problems = []
    nodes = {child.get("id") for child in container if child.tag in FLOW_NODES}
    targets = set()
    for flow in container.iterchildren(bpmn("sequenceFlow")):
        targets.add(flow.get("targetRef"))
        for end, code in (("sourceRef", "flow_bad_source"), ("targetRef", "flow_bad_target")):
            if flow.get(end) not in nodes:
                problems.append(document.problem(flow, code, node=flow.get(end), container=kind(container)))
    for event in container.iterchildren(bpmn("boundaryEvent")):
        if event.get("attachedToRef") not in nodes:
            problems.append(document.problem(event, "boundary_bad_attachment", node=event.get("attachedToRef"),
                                             container=kind(container)))
    if container.tag == bpmn("adHocSubProcess"):
        return problems
    for node in container:
        if node.tag in FLOW_NODES and node.get("id") not in targets and _needs_incoming(node):
            problems.append(document.problem(node, "node_unreachable", what=kind(node)))
    return problems


def flow_problems(model: Model) -> list[Problem]:
    """Sequence flows to unknown nodes and unreachable nodes in every process and sub-process."""
    problems = []
    for document, container in model.elements(*CONTAINERS):
        problems.extend(_container_problems(document, container))
    return problems


def has_condition(flow: etree._Element) -> bool:
    """True when a sequence flow carries a non-empty condition expression."""
    condition = flow.find(bpmn("conditionExpression"))
    return condition is not None and bool((condition.text or "").strip())


def gateway_problems(model: Model) -> list[Problem]:
    """Exclusive and inclusive gateways that could find no flow to take."""
    problems = []
    for document, gateway in model.elements("exclusiveGateway", "inclusiveGateway"):
        gateway_id, default = gateway.get("id"), gateway.get("default")
        outgoing = [flow for flow in parent_of(gateway).iterchildren(bpmn("sequenceFlow"))
                    if flow.get("sourceRef") == gateway_id]
        if default and default not in {flow.get("id") for flow in outgoing}:
            problems.append(document.problem(gateway, "default_flow_elsewhere", flow=default))
        bare = [flow for flow in outgoing if flow.get("id") != default and not has_condition(flow)]
        if len(outgoing) < 2 or not bare:
            continue
        if not default:
            problems.append(document.problem(gateway, "gateway_no_default", what=kind(gateway)))
            continue
        problems.extend(document.problem(flow, "flow_without_condition", gateway=gateway_id) for flow in bare)
    return problems


def _message_problem(message_ids: set[str | None], reference: str | None, what: str) -> Coded | None:
    """(code, params) of why a message reference cannot work, or None."""
    if not reference:
        return "message_no_ref", {"what": what}
    if reference not in message_ids:
        return "message_unknown", {"what": what, "message": reference}
    return None


def message_problems(model: Model) -> list[Problem]:
    """Message events and send/receive tasks that name no (known) message."""
    message_ids = {element.get("id") for _, element in model.elements("message")}
    problems = []
    for document, definition in model.elements("messageEventDefinition"):
        event = parent_of(definition)
        problem = _message_problem(message_ids, definition.get("messageRef"), kind(event))
        if problem:
            code, params = problem
            problems.append(document.problem(event, code, **params))
    for document, task in model.elements("sendTask", "receiveTask"):
        if task.find(bpmn("messageEventDefinition")) is None:
            problem = _message_problem(message_ids, task.get("messageRef"), kind(task))
            if problem:
                code, params = problem
                problems.append(document.problem(task, code, **params))
    return problems


def call_problems(model: Model) -> list[Problem]:
    """Call activities whose called process is not part of the package."""
    processes = model.process_ids()
    problems = []
    for document, call in model.elements("callActivity"):
        called = call.get("calledElement")
        if not called:
            problems.append(document.problem(call, "call_no_element"))
        elif called not in processes and model.complete:
            problems.append(document.problem(call, "call_unknown_process", process=called))
    return problems


GRAPH_CHECKS = (flow_problems, gateway_problems, message_problems, call_problems)
