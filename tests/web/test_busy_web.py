"""The web's answer while another writer holds the database: 503, Retry-After, "busy" in the reader's language."""
import shutil

import pytest

from engine.clock import ManualClock
from tests.test_busy import SHORT_WAIT, held_write_lock
from tests.web.conftest import sign_in
from tests.web.test_cases import START
from tests.webapp import build_app


@pytest.mark.parametrize("language, words", [
    ("en", "The database stayed busy with other people&#39;s changes for 0.2 seconds."),
    ("zh_Hant", "資料庫忙於處理其他人的變更已 0.2 秒"),
])
def test_the_web_answers_503_with_retry_after_and_its_own_words(prepared_db, tmp_path, language, words):
    db_file = tmp_path / "opsflow.db"
    shutil.copy(prepared_db, db_file)
    app = build_app(db_file, tmp_path, ManualClock(), SQLITE_BUSY_SECONDS=SHORT_WAIT)
    client = sign_in(app.test_client(), "ops.lin")
    client.set_cookie("opsflow_lang", language)
    with held_write_lock(db_file):
        response = client.post("/start/procurement", data=START)
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert words in page and "Someone got there first" not in page
    app.extensions["opsflow"].db.dispose()
