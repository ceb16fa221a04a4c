"""Process packages: loading, validating and parsing the procedures in processes/."""
from engine.definitions.loader import find_packages, load_package, package_from_files
from engine.definitions.model import Package, Problem
from engine.definitions.parse import build_specs
from engine.definitions.validate import validate_package

__all__ = [
    "Package",
    "Problem",
    "build_specs",
    "find_packages",
    "load_package",
    "package_from_files",
    "validate_package",
]
