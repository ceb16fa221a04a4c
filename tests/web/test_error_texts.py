"""The web UI reads engine errors by their code: each in English and Chinese, with names, times and numbers."""
from datetime import UTC, datetime

import pytest

from engine.error_codes import CODES, fields_of
from engine.errors import Conflict, FieldError, Forbidden, OpsflowError
from engine.formrules import Translated
from webui.error_texts import localize, localize_errors

LANGUAGES = {"en": "en", "zh_Hant": "zh-TW"}


def sample(spec):
    """A parameter value its template's format spec accepts: a datetime, a number or a text."""
    if "%" in (spec or ""):
        return datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    return 1234 if spec else "x"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_reads_in_both_languages(app, language):
    with app.test_request_context(headers={"Accept-Language": LANGUAGES[language]}):
        for code, entry in CODES.items():
            params = {name: sample(spec) for name, spec in fields_of(entry.template).items()}
            shown = localize(OpsflowError(code, **params))
            assert shown and "%(" not in shown, (code, shown)


def test_field_errors_read_in_chinese_with_their_numbers(app):
    errors = {"title": FieldError("min_length", n=3), "file": FieldError("file_too_large", mb=1.5),
              "when": FieldError("enter_date"), "note": "a text the web UI wrote itself"}
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        assert localize_errors(errors) == {"title": "至少須 3 個字元", "file": "超過 1.5 MB",
                                           "when": "請輸入日期（YYYY-MM-DD）", "note": "a text the web UI wrote itself"}


def test_a_refusal_names_the_person_and_the_time_in_the_readers_zone(app):
    done = Conflict("task_done", task="t-1", user="ops.wang", at=datetime(2026, 3, 1, 1, 30, tzinfo=UTC))
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        shown = localize(done)
    assert shown == "此任務已由 Wang Mei-ling 於 2026年3月1日 09:30 完成。您輸入的內容沒有儲存。"


def test_a_package_rule_message_is_picked_not_translated(app):
    message = Translated({"en": "At most 1000", "zh-Hant": "最多 1000"})
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        assert localize(message) == "最多 1000"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert localize(message) == "At most 1000"


def test_a_refusal_of_the_runtime_reads_in_chinese(app):
    refusal = Forbidden("task_not_claimed", user="ops.wang", task="t-1")
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        assert localize(refusal) == "您尚未認領此任務。"
