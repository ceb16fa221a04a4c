"""A held timer on the case page: a warning with its reason, and a Retry button for the procedure's supervisors."""
import re

from tests.test_incidents import held_case
from webui.i18n import COOKIE


def held(app, clock, tmp_path):
    """(case id, incident id) of a wait case in the app's database whose timer is held."""
    strict = held_case(app.extensions["opsflow"].settings.database_url, clock, tmp_path)
    [incident] = strict.open_incidents()
    strict.db.dispose()
    return incident["case_id"], incident["id"]


def retry_form(body):
    """The action of the case page's Retry form, or None."""
    found = re.search(r'action="(/cases/\d+/incidents/\d+/retry)"', body)
    return found and found.group(1)


def test_a_supervisor_sees_the_held_timer_and_retries_it(app, runtime, clock, login, tmp_path):
    case_id, incident_id = held(app, clock, tmp_path)
    client = login("ops.wang")
    body = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "This case is stopped: a timer could not fire" in body and "ran longer than 0.05 s" in body
    assert retry_form(body) == f"/cases/{case_id}/incidents/{incident_id}/retry"
    response = client.post(retry_form(body))
    assert response.status_code == 302 and response.location.endswith(f"/cases/{case_id}")
    after = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "The held timer is armed again" in after and "This case is stopped" not in after
    assert "Wang Mei-ling retried the held timer" in after
    assert runtime.open_incidents() == []
    again = client.post(f"/cases/{case_id}/incidents/{incident_id}/retry")
    assert again.status_code == 409 and "has already retried this incident" in again.get_data(as_text=True)


def test_the_starter_sees_the_warning_without_a_retry_button_and_may_not_retry(app, runtime, clock, login, tmp_path):
    case_id, incident_id = held(app, clock, tmp_path)
    client = login("ops.lin")
    body = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "This case is stopped: a timer could not fire" in body and retry_form(body) is None
    assert "until a supervisor of the procedure retries the timer" in body
    refused = client.post(f"/cases/{case_id}/incidents/{incident_id}/retry")
    assert refused.status_code == 403
    assert "Only a supervisor of the procedure may retry" in refused.get_data(as_text=True)
    assert login("fin.hsu").post(f"/cases/{case_id}/incidents/{incident_id}/retry").status_code == 404
    assert len(runtime.open_incidents()) == 1


def test_the_incident_reads_in_chinese(app, clock, login, tmp_path):
    case_id, _incident_id = held(app, clock, tmp_path)
    client = login("ops.wang")
    client.set_cookie(COOKIE, "zh_Hant")
    body = client.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "This case is stopped" not in body and ">Retry<" not in body
    assert "此案件已停止：計時器無法觸發" in body and ">重試<" in body and retry_form(body)
