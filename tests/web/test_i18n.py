"""Languages: English and Traditional Chinese pages, the language switch, package texts, and the catalogue itself."""
import gettext
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import escape

from engine.errors import OpsflowError
from tests.webapp import PURCHASE, approved_purchase, start_purchase
from webui.i18n import COOKIE

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "webui" / "translations"
POT = TRANSLATIONS / "messages.pot"
PO = TRANSLATIONS / "zh_Hant" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "zh_Hant" / "LC_MESSAGES" / "messages.mo"
RUN_IT = "run `make translations` (extract, update, compile), translate the new strings in " \
         "webui/translations/zh_Hant/LC_MESSAGES/messages.po, then run it again"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfir]")


def html_lang(body):
    """The lang attribute of the page's <html> element."""
    return re.search(r'<html lang="([^"]+)"', body).group(1)


def page(client, url, language=None, **kwargs):
    """GET `url` with an Accept-Language header (none when `language` is None); the response and its text."""
    headers = {"Accept-Language": language} if language else {}
    response = client.get(url, headers=headers, **kwargs)
    return response, response.get_data(as_text=True)


def chinese(client):
    """Choose Traditional Chinese the way the language switch does (its cookie)."""
    client.set_cookie(COOKIE, "zh_Hant")
    return client


def head_task(runtime, case_id):
    """The department head's approval task of a purchase request."""
    return runtime.case(case_id)["tasks"][0]["id"]


# ---- choosing the language --------------------------------------------------------------------------------------

@pytest.mark.parametrize("language", ["zh-TW", "zh-Hant", "zh-HK", "zh", "zh-TW,zh;q=0.9,en;q=0.8"])
def test_a_traditional_chinese_browser_gets_chinese_pages(client, language):
    response, body = page(client, "/login", language)
    assert response.status_code == 200
    assert html_lang(body) == "zh-Hant"
    assert "登入 opsflow" in body and "帳號" in body and "密碼" in body
    assert "Sign in to opsflow" not in body


@pytest.mark.parametrize("language", [None, "en", "en-US,en;q=0.9", "fr-FR", "en;q=0.9,zh-TW;q=0.5"])
def test_other_browsers_get_english(client, language):
    _response, body = page(client, "/login", language)
    assert html_lang(body) == "en"
    assert "Sign in to opsflow" in body and "登入" not in body


# The last is Chrome's default header in mainland China: the bare "zh" after zh-CN means Simplified too.
@pytest.mark.parametrize("language", ["zh-CN", "zh-Hans", "zh-SG", "zh-CN,zh;q=0.9"])
def test_simplified_chinese_falls_back_to_english(client, language):
    """There is no Simplified catalogue: English beats showing Traditional characters to a zh-CN reader."""
    _response, body = page(client, "/login", language)
    assert html_lang(body) == "en"
    assert "Sign in to opsflow" in body


def test_signed_in_pages_follow_the_browser(login):
    client = login("ops.lin")
    _response, body = page(client, "/inbox", "zh-TW")
    assert html_lang(body) == "zh-Hant"
    assert "待辦事項" in body and "我的申請" in body and "登出" in body
    _response, body = page(client, "/inbox", "en")
    assert html_lang(body) == "en"
    assert "Inbox" in body and "My requests" in body and "Sign out" in body


def test_language_switch_sets_a_cookie_that_wins_over_the_browser(login):
    client = login("ops.lin")
    response = client.post("/language", data={"lang": "zh_Hant", "next": "/requests?status=running"},
                           headers={"Accept-Language": "en"})
    assert response.status_code == 302
    assert response.location == "/requests?status=running"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{COOKIE}=zh_Hant;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    _response, body = page(client, "/requests", "en-US,en")
    assert html_lang(body) == "zh-Hant" and "我的申請" in body

    client.post("/language", data={"lang": "en", "next": "/requests"}, headers={"Accept-Language": "zh-TW"})
    _response, body = page(client, "/requests", "zh-TW")
    assert html_lang(body) == "en" and "My requests" in body


def test_language_switch_works_before_signing_in(client):
    response = client.post("/language", data={"lang": "zh_Hant", "next": "/login"})
    assert response.location == "/login"
    _response, body = page(client, "/login", "en")
    assert html_lang(body) == "zh-Hant" and "登入 opsflow" in body


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)",
                                    "evil.example", "", None])
def test_language_switch_only_goes_back_to_local_pages(client, target):
    data = {"lang": "zh_Hant"} if target is None else {"lang": "zh_Hant", "next": target}
    response = client.post("/language", data=data)
    assert response.status_code == 302
    assert response.location == "/inbox"


@pytest.mark.parametrize("lang", ["fr", "zh_Hans", "zh-Hant", "", "../../etc"])
def test_language_switch_ignores_languages_we_do_not_have(client, lang):
    response = client.post("/language", data={"lang": lang, "next": "/login"})
    assert response.location == "/login"
    assert COOKIE not in response.headers.get("Set-Cookie", "")
    _response, body = page(client, "/login", "en")
    assert html_lang(body) == "en"


def test_a_forged_cookie_falls_back_to_the_browser(client):
    client.set_cookie(COOKIE, "klingon")
    assert html_lang(page(client, "/login", "zh-TW")[1]) == "zh-Hant"
    assert html_lang(page(client, "/login", "en")[1]) == "en"


def test_the_header_offers_both_languages_in_their_own_names(client):
    _response, body = page(client, "/login", "zh-TW")
    assert re.search(r'name="lang" value="en" lang="en"\s+aria-pressed="false">English<', body)
    assert re.search(r'name="lang" value="zh_Hant" lang="zh-Hant"\s+aria-pressed="true" class="is-current">繁體中文<',
                     body)


# ---- texts from the package -------------------------------------------------------------------------------------

def test_catalogue_shows_procedure_names_and_descriptions_in_chinese(runtime, login):
    client = chinese(login("ops.lin"))
    _response, body = page(client, "/start")
    manifest = next(d["manifest"] for d in runtime.definitions() if d["key"] == "procurement")
    assert "採購申請" in body
    assert str(escape(manifest["name"]["zh-Hant"])) in body
    assert str(escape(manifest["description"]["zh-Hant"])) in body
    assert "發起流程" in body  # the UI's own words around them
    assert str(escape(manifest["name"]["en"])) not in body


def test_start_form_labels_choices_and_instructions_are_chinese(login):
    client = chinese(login("ops.lin"))
    response, body = page(client, "/start/procurement")
    assert response.status_code == 200
    assert html_lang(body) == "zh-Hant"
    for text in ("採購申請", "採購主旨", "採購理由", "採購類別", "需求日期", "採購明細", "品名規格", "資訊設備及軟體"):
        assert text in body, text
    assert "請說明採購內容與原因" in body  # the instructions
    assert "送出" in body and "取消" in body and "新增一列" in body and "請選擇…" in body
    for english in ("Title", "Justification", "Add row", "Describe what you need"):
        assert english not in body, english


def test_start_form_errors_are_introduced_in_chinese(login):
    client = chinese(login("ops.lin"))
    response = client.post("/start/procurement", data={"action": "start", "items/0/quantity": "2x"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "請修正以下問題" in body  # the error summary's heading
    assert "請輸入整數" in body  # the web form's own check of a number
    assert "There is a problem" not in body


def test_task_page_in_chinese(runtime, login):
    case_id = start_purchase(runtime)
    client = chinese(login("ops.wang"))
    response, body = page(client, f"/tasks/{head_task(runtime, case_id)}")
    assert response.status_code == 200
    assert html_lang(body) == "zh-Hant"
    assert "核准採購申請（部門主管）" in body  # the task's title
    assert "總金額：新台幣 18,000 元" in body  # instructions rendered in Chinese with the case data
    assert "決定" in body and "意見（退回時必填）" in body and "核准" in body and "退回" in body
    assert "完成任務" in body and "儲存草稿" in body and "案件進度" in body and "歷程" in body
    assert "Lin Ya-ting 發起了本案件" in body  # a history sentence around a name
    assert "Approve purchase request" not in body and "Complete task" not in body


def test_inbox_in_chinese_names_tasks_and_procedures(runtime, login):
    start_purchase(runtime)
    _response, body = page(chinese(login("ops.wang")), "/inbox")
    assert "核准採購申請（部門主管）" in body and "採購申請" in body
    assert "符合條件的任務：1 件" in body  # the plural form
    assert "全部" in body and "待認領" in body and "最早到期" in body


def test_case_page_and_requests_in_chinese_with_chinese_dates(runtime, login, clock):
    case_id = start_purchase(runtime)
    client = chinese(login("ops.lin"))
    started = runtime.case(case_id)["started_at"]
    zone = ZoneInfo(runtime.settings.timezone)
    expected = format_datetime(started, "y年M月d日 HH:mm", tzinfo=zone, locale="zh_Hant")
    assert re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", expected)

    _response, body = page(client, f"/cases/{case_id}")
    assert "採購申請" in body and "進行中" in body and "發起人" in body and "採購主旨" in body
    assert expected in body
    assert "Running" not in body

    _response, body = page(client, "/requests")
    assert f"發起於 {expected}" in body and "等待「核准採購申請（部門主管）」" in body

    english = format_datetime(started, "d MMM y, HH:mm", tzinfo=zone, locale="en")
    _response, body = page(login("ops.lin"), f"/cases/{case_id}", "en")
    assert english in body and expected not in body


def test_relative_times_are_chinese(runtime, login):
    case_id = start_purchase(runtime)
    _response, body = page(chinese(login("ops.wang")), f"/tasks/{head_task(runtime, case_id)}")
    assert re.search(r"\d+ (?:分鐘|小時|天|週)後", body)  # the due time, e.g. "2 天後"


def test_flash_messages_are_chinese(runtime, login):
    case_id = start_purchase(runtime)
    client = chinese(login("ops.lin"))
    response = client.post(f"/cases/{case_id}/comments", data={"text": "請盡快處理"}, follow_redirects=True)
    assert "已新增留言。" in response.get_data(as_text=True)


# ---- error pages ------------------------------------------------------------------------------------------------

def test_error_pages_are_translated(login):
    client = chinese(login("ops.lin"))
    response, body = page(client, "/cases/999999")
    assert response.status_code == 404
    assert html_lang(body) == "zh-Hant"
    assert "找不到內容" in body and "此頁面或項目不存在" in body and "回到待辦事項" in body
    assert "Not found" not in body

    response, body = page(client, "/no/such/page")
    assert response.status_code == 404 and "找不到內容" in body

    response = client.get("/logout")
    assert response.status_code == 405 and "不允許此操作" in response.get_data(as_text=True)


def test_error_pages_stay_english_for_english_readers(login):
    response, body = page(login("ops.lin"), "/cases/999999", "en")
    assert response.status_code == 404 and "Not found" in body and "找不到" not in body


# ---- the catalogue ----------------------------------------------------------------------------------------------

def read_catalogue(path):
    """A .po or .pot file as a babel Catalog."""
    with open(path, "rb") as f:
        return read_po(f)


def key(message_id):
    """A msgid as a tuple: (singular,) or (singular, plural)."""
    return tuple(message_id) if isinstance(message_id, (list, tuple)) else (message_id,)


def test_every_message_is_translated_with_the_same_placeholders():
    catalogue = read_catalogue(PO)
    assert str(catalogue.locale) == "zh_Hant"
    problems = []
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        wanted = {name for text in key(message.id) for name in PLACEHOLDER.findall(text)}
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
        for text in strings:
            if set(PLACEHOLDER.findall(text or "")) != wanted:
                problems.append(f"placeholders differ: {message.id!r} -> {text!r}")
    for message, errors in catalogue.check():
        problems.extend(f"{error}: {message.id!r}" for error in errors)
    assert not problems, "\n".join(problems)


def test_catalogue_holds_exactly_the_template_messages():
    template = {key(m.id) for m in read_catalogue(POT) if m.id}
    translated = {key(m.id) for m in read_catalogue(PO) if m.id}
    assert template - translated == set(), f"messages.po lacks messages of messages.pot: {RUN_IT}"
    assert translated - template == set(), f"messages.po has messages no longer in messages.pot: {RUN_IT}"


def test_template_is_up_to_date_with_the_sources():
    with open(ROOT / "webui" / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None}  # `-k _l` of `make translations`
    extracted = {key(message) for _file, _line, message, _comments, _context
                 in extract_from_dir(ROOT, method_map, options_map, keywords=keywords) if key(message)[0]}
    template = {key(m.id) for m in read_catalogue(POT) if m.id}
    missing, stale = sorted(extracted - template), sorted(template - extracted)
    assert not missing, f"strings not yet in messages.pot: {missing}; {RUN_IT}"
    assert not stale, f"messages.pot has strings the sources no longer use: {stale}; {RUN_IT}"


def test_compiled_catalogue_matches_the_po_file(tmp_path):
    fresh = tmp_path / "messages.mo"
    with open(fresh, "wb") as f:
        write_mo(f, read_catalogue(PO))
    with open(fresh, "rb") as f:
        expected = gettext.GNUTranslations(f)._catalog
    assert MO.is_file(), f"{MO.relative_to(ROOT)} is missing: {RUN_IT}"
    with open(MO, "rb") as f:
        committed = gettext.GNUTranslations(f)._catalog
    differing = sorted(str(k) for k in set(expected) | set(committed) if expected.get(k) != committed.get(k))
    assert not differing, f"messages.mo is older than messages.po ({differing[:5]}...): {RUN_IT}"


def test_the_app_reads_the_committed_catalogue(app):
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        from flask_babel import gettext as translate
        from flask_babel import ngettext

        assert translate("Inbox") == "待辦事項"
        assert translate("Page %(page)d of %(pages)d", page=2, pages=5) == "第 2 頁，共 5 頁"
        assert ngettext("%(num)d task matches", "%(num)d tasks match", 3) == "符合條件的任務：3 件"


def test_refusals_of_who_may_act_read_in_chinese(app, runtime):
    """Every refusal of a claim, release or reassignment has its Chinese text (read by its code)."""
    from webui.error_texts import localize

    rejected = start_purchase(runtime, "sales.tseng")
    runtime.complete(runtime.case(rejected)["tasks"][0]["id"], "sales.yeh",
                {"head_decision": "reject", "head_comment": "Ask again after the budget review."})
    revise = runtime.case(rejected)["tasks"][0]  # the requester's own: nobody else may take it
    _, buying = approved_purchase(runtime, "sales.lu")                          # a procurement role task
    own = start_purchase(runtime, "ops.wang", items=[dict(PURCHASE["items"][0], unit_price=40_000)])
    runtime.complete(runtime.case(own)["tasks"][0]["id"], "ceo.lee", {"head_decision": "approve"})
    second = runtime.case(own)["tasks"][0]  # the operations manager's approval of his own request
    refusals = []
    for action in (lambda: runtime.release(revise["id"], "sales.tseng"),        # nobody else may take it
                   lambda: runtime.reassign(revise["id"], "ops.wang", "hr.liu"),  # not one of its eligible people
                   lambda: runtime.claim(buying["id"], "ops.wang"),             # a role ops.wang does not hold
                   lambda: runtime.claim(second["id"], "ops.wang"),             # his own request: separation of duties
                   lambda: runtime.claim(second["id"], "proc.hsieh")):          # not one of the people it names
        with pytest.raises(OpsflowError) as caught:
            action()
        refusals.append(caught.value)
    with app.test_request_context(headers={"Accept-Language": "zh-TW"}):
        shown = [localize(refusal) for refusal in refusals]
    untranslated = [(str(refusal), text) for refusal, text in zip(refusals, shown, strict=True)
                    if text == str(refusal) or not re.search(r"[\u4e00-\u9fff]", text)]
    assert untranslated == []
