"""A streaming pass over BPMN and DMN bytes that refuses DTDs, entities, too many elements and too
deep a nesting before any tree is built (and so before SpiffWorkflow's parser sees the model)."""
import io
from typing import Any

from lxml import etree

from engine.definitions.limits import MAX_XML_DEPTH, MAX_XML_ELEMENTS


class XmlRefused(Exception):
    """An XML file over a limit or declaring a DTD; `line` is where, when known, `code` and `params` say
    which refusal (engine/error_codes.py)."""

    def __init__(self, line: int | None, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.line = line
        self.code, self.params = code, params


class _Counter:
    """An lxml parser target that builds nothing: it counts elements and depth, and stops at a DOCTYPE."""

    def __init__(self) -> None:
        self.elements = 0
        self.depth = 0

    def doctype(self, name: str | None, public_id: str | None, system_id: str | None) -> None:
        """Called as the DOCTYPE starts, before its entities are read: refuse it there."""
        raise XmlRefused(None, "xml_doctype")

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        """Count an element and refuse it past the limits (the line is found afterwards)."""
        self.elements += 1
        self.depth += 1
        if self.elements > MAX_XML_ELEMENTS:
            raise XmlRefused(None, "xml_too_many_elements", most=MAX_XML_ELEMENTS)
        if self.depth > MAX_XML_DEPTH:
            raise XmlRefused(None, "xml_too_deep", most=MAX_XML_DEPTH)

    def end(self, tag: str) -> None:
        """Leave an element."""
        self.depth -= 1

    def close(self) -> None:
        """Nothing is built, so nothing is returned."""
        return None


def _doctype_line(data: bytes) -> int | None:
    """The line a DOCTYPE starts on (it can only stand before the root element), if written in ASCII."""
    found = data.find(b"<!DOCTYPE")
    return data.count(b"\n", 0, found) + 1 if found >= 0 else None


def _breach_line(data: bytes) -> int | None:
    """The line of the first element past the element or depth limit; only asked once one was passed."""
    depth = elements = 0
    for event, element in etree.iterparse(io.BytesIO(data), events=("start", "end"), resolve_entities=False,
                                          no_network=True):
        if event == "end":
            depth -= 1
            element.clear()
            continue
        depth, elements = depth + 1, elements + 1
        if elements > MAX_XML_ELEMENTS or depth > MAX_XML_DEPTH:
            return element.sourceline
    return None


def check_xml(data: bytes) -> None:
    """Refuse (XmlRefused) XML bytes with a DOCTYPE or over the element or depth limit.

    Malformed XML passes: the real parse that follows reports it with its line.
    """
    counter = _Counter()
    # lxml calls only the target methods that exist; the stubs' ParserTarget protocol asks for all of them.
    parser = etree.XMLParser(target=counter, resolve_entities=False, no_network=True,  # type: ignore[call-overload]
                             load_dtd=False)
    try:
        etree.fromstring(data, parser)
    except XmlRefused as exc:
        dtd = counter.elements == 0
        raise XmlRefused(_doctype_line(data) if dtd else _breach_line(data), exc.code, **exc.params) from None
    except etree.XMLSyntaxError:
        return
