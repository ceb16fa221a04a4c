"""How much a package, an organisation file and a form field may hold: checked before any parser
builds anything from them, because packages and organisation files come from people, not from us.

processes/README.md ("Package limits") documents every value here; change both together.
"""
from collections.abc import Mapping

from engine.definitions.model import Problem

KIB = 1024
MIB = 1024 * KIB

# Bytes of one package file. The largest demo file (procurement.bpmn) is 42 KB.
MAX_FILE_BYTES = 2 * MIB
# Bytes of all of a package's files together. The largest demo package is 150 KB.
MAX_PACKAGE_BYTES = 10 * MIB
# Files in a package (scenarios, hidden folders and caches are not read, so not counted).
MAX_PACKAGE_FILES = 500

# Elements of one BPMN or DMN file. The largest demo model has 540; SpiffWorkflow's parser slows
# down faster than linearly beyond a few thousand.
MAX_XML_ELEMENTS = 10_000
# Nesting of XML elements. Demo models nest 6 deep (a sub-process inside a sub-process adds 1-2).
MAX_XML_DEPTH = 50

# Nodes of one YAML file with every alias expanded: the largest demo manifest has 522, and an
# alias bomb (anchors that repeat anchors) expands 700 bytes into millions.
MAX_YAML_NODES = 20_000
# Nesting of YAML mappings and lists. Demo files nest at most 9 deep (a table of rows in a group).
MAX_YAML_DEPTH = 30

# The organisation file: one file, read by `opsflow org load` and `validate --org`.
MAX_ORG_FILE_BYTES = 10 * MIB
# Nodes of the organisation file: the demo's 22 people take 602, so room for about 18,000.
MAX_ORG_YAML_NODES = 500_000

# A form's text field without its own `maxLength` takes at most this many characters.
DEFAULT_TEXT_MAX_LENGTH = 500
# ... and a multi-line one (`x-widget: textarea`) at most this many.
DEFAULT_TEXTAREA_MAX_LENGTH = 5_000


def size_text(count: int) -> str:
    """Bytes in the unit the limits are written in: 2 MB, 10 MB, 700 bytes."""
    if count >= MIB and count % MIB == 0:
        return f"{count // MIB} MB"
    if count >= MIB:
        return f"{count / MIB:.1f} MB"
    return f"{count:,} bytes"


def size_problems(origin: str, sizes: Mapping[str, int]) -> list[Problem]:
    """Problems for a package's files (path -> bytes) over the per-file, per-package or file-count limit.

    A file over its own limit is named alone: the package's total would only repeat it.
    """
    problems = [Problem.coded(f"{origin}/{path}", None, None, "file_too_large_for_package", size=size_text(size),
                              limit=size_text(MAX_FILE_BYTES))
                for path, size in sorted(sizes.items()) if size > MAX_FILE_BYTES]
    total = sum(sizes.values())
    if total > MAX_PACKAGE_BYTES and not problems:
        problems.append(Problem.coded(origin, None, None, "package_too_large", size=size_text(total),
                                      limit=size_text(MAX_PACKAGE_BYTES)))
    if len(sizes) > MAX_PACKAGE_FILES:
        problems.append(Problem.coded(origin, None, None, "too_many_files", count=len(sizes), limit=MAX_PACKAGE_FILES))
    return problems
