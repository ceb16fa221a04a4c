"""A procedure's diagram and step names as people read them: names in their language (the manifest's
`names`, else a user task's form title, else the BPMN name) and outside labels wide enough for whole words."""
import functools
import re

from lxml import etree

from engine.definitions import Package
from engine.definitions.documents import bpmn
from engine.templates import pick_language

DI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
# bpmn-js lays an outside label (events, gateways, flows) out in its DI width, breaking a word that does
# not fit; its own default width for a new label is 90.
MIN_LABEL_WIDTH = 90
# A generous width per letter of its 11 px label font, and the room either side: a word of Latin letters
# longer than MIN_LABEL_WIDTH widens its label to fit whole. CJK text breaks between characters anyway.
LETTER_WIDTH = 7
LABEL_PADDING = 8
# A name in the languages a package gives it: {en, zh-Hant}, or only some (a lane the manifest does not name).
LanguageTexts = dict[str, str]


@functools.lru_cache(maxsize=64)
def main_diagram(package: Package) -> str:
    """The BPMN XML text of the package file that holds its executable process (parsed once per version)."""
    paths = package.manifest["files"]["bpmn"]
    for path in paths:
        root = etree.fromstring(package.files[path])
        if any(process.get("id") == package.process_id for process in root.iter(bpmn("process"))):
            return package.files[path].decode("utf-8")
    return package.files[paths[0]].decode("utf-8")


@functools.lru_cache(maxsize=64)
def step_names(package: Package) -> dict[str, LanguageTexts]:
    """BPMN element id -> {en, zh-Hant} of every named element of the main diagram, lanes included."""
    declared = package.manifest.get("names") or {}
    found: dict[str, LanguageTexts] = {}
    for element in etree.fromstring(main_diagram(package).encode("utf-8")).iter():
        name, key = element.get("name"), element.get("id")
        if not name or not key:
            continue
        form_title = (package.form_for(key) or {}).get("title") if element.tag == bpmn("userTask") else None
        texts = {"en": name, "zh-Hant": pick_language(form_title, "zh-Hant") if form_title else name}
        found[key] = texts | (declared.get(key) or {})
    return found


@functools.lru_cache(maxsize=64)
def lane_names(package: Package) -> dict[str, LanguageTexts]:
    """Lane name (as a task row stores it) -> {en, zh-Hant}."""
    names = step_names(package)
    root = etree.fromstring(main_diagram(package).encode("utf-8"))
    found: dict[str, LanguageTexts] = {}
    for lane in root.iter(bpmn("lane")):
        name = lane.get("name")
        if name:
            found[name] = names.get(lane.get("id") or "", {"en": name})
    return found


@functools.lru_cache(maxsize=128)
def localized_diagram(package: Package, language: str) -> str:
    """The main diagram's XML with names in `language` and outside labels at least MIN_LABEL_WIDTH wide."""
    root = etree.fromstring(main_diagram(package).encode("utf-8"))
    names = step_names(package)
    shown: dict[str, str] = {}
    for element in root.iter():
        key = element.get("id")
        if key and element.get("name") and key in names:
            element.set("name", pick_language(names[key], language))
        name = element.get("name")
        if key and name:
            shown[key] = name
    for label in root.iter(f"{{{DI_NS}}}BPMNLabel"):
        parent = label.getparent()
        text = shown.get(parent.get("bpmnElement", "") if parent is not None else "", "")
        for bounds in label.iter(f"{{{DC_NS}}}Bounds"):
            _widen(bounds, label_width(text))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(root, encoding="unicode")


def label_width(text: str) -> int:
    """The width an outside label needs so that none of its words is broken: MIN_LABEL_WIDTH, or its longest
    word of letters with room either side."""
    words = [word for word in re.split(r"[\s\-/]+", text) if word.isascii()]
    longest = max((len(word) for word in words), default=0)
    return max(MIN_LABEL_WIDTH, longest * LETTER_WIDTH + 2 * LABEL_PADDING)


def _widen(bounds: etree._Element, needed: int = MIN_LABEL_WIDTH) -> None:
    """Make a label's bounds at least `needed` wide around the same centre."""
    try:
        x, width = float(bounds.get("x") or ""), float(bounds.get("width") or "")  # one missing: no number
    except (TypeError, ValueError):
        return
    if width < needed:
        bounds.set("x", f"{x - (needed - width) / 2:g}")
        bounds.set("width", f"{needed:g}")
