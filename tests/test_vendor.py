"""The vendored front-end files match VENDOR.md, and VENDOR.md matches the pins in refresh.sh.

Offline: needs neither network nor Node.js. To change a version, edit the pins in refresh.sh and run it.
"""
import hashlib
import re
from pathlib import Path

import pytest

VENDOR = Path(__file__).resolve().parent.parent / "webui" / "static" / "vendor"
VENDOR_MD = VENDOR / "VENDOR.md"
REFRESH = VENDOR / "refresh.sh"

# Where a file states its own version: a banner comment such as "/*! bpmn-js - bpmn-viewer v18.31.1 |",
# or a version property such as htmx's `version:"2.0.11"`.
VERSION_PATTERNS = (
    re.compile(r"/\*!\s*(?P<name>[\w.@/-]+)[^\n]*?\bv(?P<version>\d+\.\d+\.\d+[\w.+-]*)"),
    re.compile(r"\bversion\s*:\s*[\"'](?P<version>\d+\.\d+\.\d+[\w.+-]*)[\"']"),
)


def cells(line):
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table(text, first_header):
    """Rows (lists of cells) of the markdown table whose header starts with first_header."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("|") and cells(line)[0] == first_header:
            rows = []
            for row in lines[i + 2:]:
                if not row.startswith("|"):
                    break
                rows.append(cells(row))
            return rows
    raise AssertionError(f"VENDOR.md has no table headed {first_header!r}")


def ticked(cell):
    return re.findall(r"`([^`]+)`", cell)


def packages():
    """{package: (version, [files relative to vendor/])} from VENDOR.md."""
    found = {}
    for row in table(VENDOR_MD.read_text(encoding="utf-8"), "package"):
        name, version, _licence, files, integrity, shasum = row
        assert re.fullmatch(r"`sha512-[A-Za-z0-9+/]+=*`", integrity), (name, integrity)
        assert re.fullmatch(r"`[0-9a-f]{40}`", shasum), (name, shasum)
        found[name] = (version, ticked(files))
    assert found, "VENDOR.md lists no packages"
    return found


def pins():
    """{package: (version, [tarball paths])} from the PINS=( ... ) block of refresh.sh."""
    text = REFRESH.read_text(encoding="utf-8")
    block = re.search(r"^PINS=\((.*?)^\)", text, re.S | re.M)
    assert block, "refresh.sh has no PINS=( ... ) block"
    found = {}
    for line in block.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, version, *files = line.strip("\"'").split()
        found[name] = (version, files)
    return found


def listed_files():
    return [(name, version, path) for name, (version, files) in packages().items() for path in files]


def test_refresh_pins_the_versions_vendor_md_records():
    recorded = packages()
    pinned = pins()
    assert {name: version for name, (version, _) in pinned.items()} == \
        {name: version for name, (version, _) in recorded.items()}
    for name, (_, tarball_paths) in pinned.items():
        expected = sorted([f"{name}/{Path(p).name}" for p in tarball_paths] + [f"{name}/LICENSE"])
        assert sorted(recorded[name][1]) == expected, name


def test_versions_are_exact():
    for name, (version, _) in pins().items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name} pin {version!r} is not an exact version"


@pytest.mark.parametrize("name,version,path", listed_files(), ids=lambda v: v if "/" in str(v) else None)
def test_listed_file_exists_and_states_the_recorded_version(name, version, path):
    file = VENDOR / path
    assert file.is_file(), f"{path} is listed in VENDOR.md but missing"
    head = file.read_text(encoding="utf-8", errors="replace")[:200_000]
    for pattern in VERSION_PATTERNS:
        match = pattern.search(head)
        if match:
            assert match.group("version") == version, f"{path} says {match.group(0)!r}, VENDOR.md {version}"


def test_each_package_has_a_file_stating_its_version():
    """So the version check above is not vacuous: the main script of each package names its version."""
    for name, (version, files) in packages().items():
        stated = set()
        for path in files:
            text = (VENDOR / path).read_text(encoding="utf-8", errors="replace")[:200_000]
            stated |= {m.group("version") for p in VERSION_PATTERNS for m in p.finditer(text)}
        assert version in stated, f"no file of {name} states version {version}"


def test_files_match_their_recorded_size_and_hash():
    rows = table(VENDOR_MD.read_text(encoding="utf-8"), "file")
    recorded = {ticked(row[0])[0]: (int(row[2]), ticked(row[3])[0]) for row in rows}
    assert sorted(recorded) == sorted(path for _, _, path in listed_files())
    for path, (size, sha256) in recorded.items():
        data = (VENDOR / path).read_bytes()
        assert len(data) == size, f"{path}: {len(data)} bytes, VENDOR.md says {size}"
        assert hashlib.sha256(data).hexdigest() == sha256, f"{path} changed since refresh.sh wrote VENDOR.md"


def test_no_unlisted_files_in_package_folders():
    listed = {path for _, _, path in listed_files()}
    for name in packages():
        on_disk = {f"{name}/{f.relative_to(VENDOR / name).as_posix()}" for f in (VENDOR / name).rglob("*")
                   if f.is_file()}
        assert on_disk == {p for p in listed if p.startswith(name + "/")}, name


def test_no_node_modules_in_the_repo_static_tree():
    assert not list(VENDOR.parent.rglob("node_modules"))
