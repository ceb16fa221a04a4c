"""The SOP page: linked from the catalogue, readable by a procedure's starters, bilingual, and not found for others."""
import pytest

from tests.web.conftest import sign_in

HEAD_EN, HEAD_ZH = "Approve purchase request (department head)", "核准採購申請（部門主管）"


def test_the_catalogue_links_each_procedure_sop(login):
    """Every card of the start catalogue has its SOP link."""
    page = login("sales.lu").get("/start").get_data(as_text=True)
    assert 'href="/procedures/procurement/sop"' in page


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
def test_a_starter_reads_the_sop_with_both_languages_step_titles(app, language):
    """Either language shows each step title in both, the decision table's rules and the due time in words."""
    client = sign_in(app.test_client(), "sales.lu")
    client.set_cookie("opsflow_lang", language)
    response = client.get("/procedures/procurement/sop")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert HEAD_EN in page and HEAD_ZH in page
    assert "&lt; 50000" in page and "approval_route" in page
    assert "P2D" in page and ("2 days" in page if language == "en" else "2 天" in page)


def test_a_stranger_to_a_confidential_procedure_gets_not_found(login):
    """Only HR may read the performance review's SOP; for anyone else it does not exist, diagram included."""
    client = login("sales.lu")
    assert client.get("/procedures/performance-review/sop").status_code == 404
    assert client.get("/procedures/performance-review/sop/diagram.json").status_code == 404
    assert login("hr.yang").get("/procedures/performance-review/sop").status_code == 200


def test_the_sop_diagram_and_an_unknown_version(login):
    """The diagram answers the viewer's JSON with nothing marked; a version never deployed is 404."""
    client = login("sales.lu")
    shown = client.get("/procedures/procurement/sop/diagram.json?version=1").get_json()
    assert shown["xml"].startswith("<?xml") and shown["current"] == []
    assert client.get("/procedures/procurement/sop?version=99").status_code == 404
