"""The start page shows the version new cases start on, also after a rollback."""
from tests.conftest import PROCESSES, edition


def _shown_version(client):
    """The version the procurement card on the start page names."""
    page = client.get("/start").get_data(as_text=True)
    card = page[page.index('href="/start/procurement"'):]
    return card[card.index('<span class="muted">v') + len('<span class="muted">'):].split("<", 1)[0]


def test_the_start_page_names_the_active_version(runtime, login, tmp_path):
    client = login("ops.lin")
    runtime.deploy([edition(PROCESSES / "procurement", tmp_path / "procurement2", 2)])
    assert _shown_version(client) == "v2"
    runtime.activate("procurement", 1, actor="ops.wang")
    assert _shown_version(client) == "v1"
