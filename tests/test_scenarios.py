"""Every scenario file of every package under processes/ runs under pytest too."""
import pytest

from engine.definitions import find_packages
from engine.scenarios import make_runtime, org_file_for, run_file, scenario_files
from tests.conftest import PROCESSES

SCENARIOS = [(pkg, path) for pkg in find_packages([PROCESSES]) for path in scenario_files(pkg)]


@pytest.fixture(scope="module")
def package_runtimes(tmp_path_factory):
    """One throw-away runtime per package, shared by that package's scenarios."""
    made = {}

    def get(package_dir):
        if package_dir not in made:
            runtime = make_runtime(tmp_path_factory.mktemp(package_dir.name))
            runtime.load_org(org_file_for(package_dir))
            runtime.deploy([package_dir])
            made[package_dir] = runtime
        return made[package_dir]

    yield get
    for runtime in made.values():
        runtime.db.dispose()


def test_every_package_has_scenarios():
    for package_dir in find_packages([PROCESSES]):
        assert scenario_files(package_dir), f"{package_dir.name} has no scenarios/*.yaml"


@pytest.mark.parametrize("package_dir,path", SCENARIOS, ids=[f"{p.name}/{s.stem}" for p, s in SCENARIOS])
def test_scenario(package_runtimes, package_dir, path):
    result = run_file(package_runtimes(package_dir), package_dir, path)
    assert result.passed, result.line()
