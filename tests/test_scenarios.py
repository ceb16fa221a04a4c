"""Every scenario file of every package under processes/ runs under pytest, on SQLite and PostgreSQL."""
import pytest

from engine.definitions import find_packages
from engine.scenarios import make_runtime, org_file_for, run_file, scenario_files
from tests.conftest import PROCESSES, fresh_postgres_schema, postgres_or_skip

SCENARIOS = [(pkg, path) for pkg in find_packages([PROCESSES]) for path in scenario_files(pkg)]
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module")
def package_runtimes(tmp_path_factory):
    """One throw-away runtime per package and backend, shared by that package's scenarios."""
    made, drops = {}, []

    def get(package_dir, backend):
        if (package_dir, backend) not in made:
            url = None
            if backend == "postgres":
                url, drop = fresh_postgres_schema(postgres_or_skip())
                drops.append(drop)
            runtime = make_runtime(tmp_path_factory.mktemp(package_dir.name), url)
            runtime.load_org(org_file_for(package_dir))
            runtime.deploy([package_dir])
            made[package_dir, backend] = runtime
        return made[package_dir, backend]

    yield get
    for runtime in made.values():
        runtime.db.dispose()
    for drop in drops:
        drop()


def test_every_package_has_scenarios():
    for package_dir in find_packages([PROCESSES]):
        assert scenario_files(package_dir), f"{package_dir.name} has no scenarios/*.yaml"


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("package_dir,path", SCENARIOS, ids=[f"{p.name}/{s.stem}" for p, s in SCENARIOS])
def test_scenario(package_runtimes, package_dir, path, backend):
    result = run_file(package_runtimes(package_dir, backend), package_dir, path)
    assert result.passed, result.line()
