"""The benchmark keeps working (its figures are read by people, never asserted)."""
from engine.bench import run_engine_bench
from tests.conftest import POSTGRES_URL


def test_engine_benchmark_prints_every_configuration():
    lines = []
    run_engine_bench(4, POSTGRES_URL, echo=lines.append, rounds=2)
    labels = [line.split("  ")[0] for line in lines]
    assert "(a) SpiffWorkflow in memory" in labels and "(b) opsflow on SQLite (file, WAL)" in labels
    sqlite_row = next(line for line in lines if line.startswith("(b)")).split()
    assert 0 < float(sqlite_row[-2]) <= 12
