"""The web benchmark keeps working: every page answers 200 and gets figures (read by people, never asserted)."""
from tests.conftest import POSTGRES_URL
from webui.bench import run_web_bench

PAGES = {"/inbox (first page, by due)", "/inbox incident-response + 'pump'", "/inbox?page=100",
         "/inbox htmx partial (filter)", "/tasks/<id> (real case)"}


def test_web_benchmark_times_every_page():
    lines = []
    results = run_web_bench(200, POSTGRES_URL, runs=3, echo=lines.append)
    databases = ["SQLite (file, WAL)"] + (["PostgreSQL"] if POSTGRES_URL else [])
    for database in databases:
        rows = [r for r in results if r["database"] == database]
        assert {r["page"] for r in rows} == PAGES
        for row in rows:
            assert row["statuses"] == [200], row
            assert row["bytes"] > 0 and row["median_ms"] > 0 and row["max_ms"] >= row["p95_ms"] >= 0
            assert any(line.startswith(database) and row["page"] in line for line in lines)
