"""The diagram the case page shows: names in the reader's language, outside labels wide enough for whole words."""
from lxml import etree

from engine.definitions.loader import load_package
from engine.runtime.diagram import DC_NS, DI_NS, MIN_LABEL_WIDTH, label_width, lane_names, localized_diagram, step_names
from tests.conftest import ROOT

PROCUREMENT = load_package(ROOT / "processes" / "procurement")


def label_bounds(xml):
    """Element id -> (x, width) of every outside label's bounds."""
    root = etree.fromstring(xml.encode("utf-8"))
    found = {}
    for shape in root.iter(f"{{{DI_NS}}}BPMNShape", f"{{{DI_NS}}}BPMNEdge"):
        for bounds in shape.iter(f"{{{DC_NS}}}Bounds"):
            if bounds.getparent().tag == f"{{{DI_NS}}}BPMNLabel":
                found[shape.get("bpmnElement")] = (float(bounds.get("x")), float(bounds.get("width")))
    return found


def test_outside_labels_are_widened_around_their_centre():
    original = label_bounds(PROCUREMENT.files["procurement.bpmn"].decode("utf-8"))
    widened = label_bounds(localized_diagram(PROCUREMENT, "en"))
    narrow = [key for key, (_x, width) in original.items() if width < MIN_LABEL_WIDTH]
    assert narrow, "the fixture should have a narrow label"
    for key in narrow:
        (x, width), (new_x, new_width) = original[key], widened[key]
        assert new_width >= MIN_LABEL_WIDTH and abs((x + width / 2) - (new_x + new_width / 2)) < 0.01


def test_names_come_from_the_manifest_then_the_form_title_then_the_bpmn():
    names = step_names(PROCUREMENT)
    assert names["gw_head_decision"] == {"en": "Approved?", "zh-Hant": "核准？"}
    assert names["approve_department_head"]["zh-Hant"] == "核准採購申請（部門主管）"
    assert lane_names(PROCUREMENT)["Requester"]["zh-Hant"] == "申請人"
    assert 'name="核准？"' in localized_diagram(PROCUREMENT, "zh-Hant")


def test_a_label_with_a_word_longer_than_the_default_width_is_widened_to_keep_it_whole():
    assert label_width("Resubmit?") == MIN_LABEL_WIDTH
    long_word = "Counter-acknowledgementsrequired"
    assert label_width(f"Needs {long_word} now") >= len("acknowledgementsrequired") * 7
    assert label_width("請確認採購申請是否需要重新核准與修訂內容") == MIN_LABEL_WIDTH  # CJK breaks between characters


def test_the_served_diagram_gives_a_long_word_label_room_around_its_centre():
    names = dict(PROCUREMENT.manifest.get("names") or {}, flow_withdraw={"en": "Withdrawn-unconditionally-irrevocably"})
    package = PROCUREMENT.__class__(**{**vars(PROCUREMENT), "manifest": dict(PROCUREMENT.manifest, names=names)})
    x, width = label_bounds(PROCUREMENT.files["procurement.bpmn"].decode("utf-8"))["flow_withdraw"]
    new_x, new_width = label_bounds(localized_diagram(package, "en"))["flow_withdraw"]
    assert new_width == label_width("Withdrawn-unconditionally-irrevocably") > MIN_LABEL_WIDTH
    assert abs((x + width / 2) - (new_x + new_width / 2)) < 0.01
