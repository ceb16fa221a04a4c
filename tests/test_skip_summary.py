"""`make test` ends with one line per group of skipped tests: how many, why, how to run them."""
from types import SimpleNamespace

from tests.conftest import skip_groups


def skipped(reason):
    """A skipped test's report as pytest keeps it: (file, line, "Skipped: reason")."""
    return SimpleNamespace(longrepr=("tests/x.py", 1, f"Skipped: {reason}"))


def test_skips_are_grouped_by_reason_with_how_to_enable_them():
    reports = [skipped("PostgreSQL tests need OPSFLOW_TEST_POSTGRES_URL")] * 3 + [skipped("needs /usr/bin/chromium"),
                                                                                   skipped("not written yet")]
    assert skip_groups(reports) == [
        "3 skipped: PostgreSQL tests need OPSFLOW_TEST_POSTGRES_URL -> to run them, set OPSFLOW_TEST_POSTGRES_URL "
        "to a PostgreSQL database the tests may add schemas to",
        "1 skipped: needs /usr/bin/chromium -> to run them, install Chromium as /usr/bin/chromium (Debian: apt-get "
        "install chromium)",
        "1 skipped: not written yet",
    ]


def test_nothing_skipped_prints_nothing():
    assert skip_groups([]) == []
