"""Packages from folders (authoring, CLI) and from stored files (rebuilding a deployed version)."""
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from engine.definitions.limits import size_problems
from engine.definitions.manifest import MANIFEST
from engine.definitions.model import Package, Problem, content_hash
from engine.definitions.parse import spec_problems
from engine.definitions.validate import inspect_files, ordered
from engine.errors import PackageError

# Scenario tests describe a procedure but are not part of a deployed version.
EXCLUDED_FOLDERS = ("scenarios",)


def _belongs(path: str) -> bool:
    """True for a file that is part of a version: not a scenario, not hidden, not a cache."""
    parts = path.split("/")
    if parts[0] in EXCLUDED_FOLDERS:
        return False
    return not any(part.startswith(".") or part == "__pycache__" for part in parts)


def package_from_files(files: Mapping[str, bytes | memoryview], origin: str = "<stored>",
                       strict: bool = True) -> Package:
    """A package from its files (path -> bytes), raising PackageError with every problem found.

    A deployed version is rebuilt with `strict=False`: checks added since it was deployed must not
    strand its running cases.
    """
    kept = {path: bytes(data) for path, data in files.items() if _belongs(path)}
    too_big = size_problems(origin, {path: len(data) for path, data in kept.items()})
    if too_big:
        raise PackageError(too_big)
    inspection = inspect_files(kept, origin, strict)
    package = Package(
        key=str(inspection.manifest.get("key", "")),
        manifest=inspection.manifest,
        files=kept,
        content_hash=content_hash(kept),
        forms=inspection.forms,
        process_id=str(inspection.manifest.get("process_id", "")),
        origin=origin,
    )
    problems = ordered(inspection.problems or spec_problems(package))
    if problems:
        raise PackageError(problems)
    return package


def _read_folder(folder: Path) -> dict[str, bytes]:
    """Every file of a version below `folder` as posix relative path -> bytes, sizes checked before reading."""
    paths = {path.relative_to(folder).as_posix(): path for path in sorted(folder.rglob("*")) if path.is_file()}
    paths = {name: path for name, path in paths.items() if _belongs(name)}
    too_big = size_problems(folder.name, {name: path.stat().st_size for name, path in paths.items()})
    if too_big:
        raise PackageError(too_big)
    return {name: path.read_bytes() for name, path in paths.items()}


def load_package(path: str | os.PathLike[str]) -> Package:
    """The package in a folder holding process.yaml, raising PackageError with every problem found."""
    folder = Path(path).resolve()
    if not (folder / MANIFEST).is_file():
        raise PackageError([Problem.coded(f"{folder.name}/{MANIFEST}", None, None, "no_manifest_here")])
    return package_from_files(_read_folder(folder), origin=folder.name)


def find_packages(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Package folders: each path is one, or a folder whose sub-folders are; sorted, no repeats."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    found: set[Path] = set()
    for path in map(Path, paths):
        if (path / MANIFEST).is_file():
            found.add(path)
            continue
        children = {child for child in path.iterdir() if (child / MANIFEST).is_file()} if path.is_dir() else set()
        if not children:
            raise PackageError([Problem.coded(str(path), None, None, "no_packages_here")])
        found |= children
    return sorted(found)
