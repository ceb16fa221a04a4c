"""Uploads: stored under random ids, size-limited, readable by whoever sees the case, linked by form fields."""
import hashlib
import io
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from engine.errors import Forbidden, NotFound, NotReady, ValidationFailed
from engine.runtime.files import clean_content_type, clean_filename
from engine.store.models import Attachment, Event, HumanTask
from tests.conftest import PACKAGES, PROCESSES, make_runtime
from tests.test_runtime import CLAIM, open_tasks

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8
FILE_FIELDS = """    receipt: {type: string, x-widget: file, x-label: {en: Receipt, zh-Hant: 收據}}
    extras:
      type: array
      items: {type: string}
      x-widget: file
      x-label: {en: Other documents, zh-Hant: 其他文件}
"""


@pytest.fixture
def deployed(db_url, clock, tmp_path):
    """A runtime whose uploads go to tmp_path/files (at most 4 KiB each), with a file-field expense package."""
    runtime = make_runtime(db_url, clock, attachments_path=str(tmp_path / "files"), max_attachment_bytes=4096)
    package = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", package)
    form = package / "forms" / "claim.yaml"
    form.write_text(form.read_text(encoding="utf-8") + FILE_FIELDS, encoding="utf-8")
    runtime.deploy([package])
    yield runtime
    runtime.db.dispose()


def upload(runtime, user, data=PDF, name="receipt.pdf", **where):
    """Upload bytes as `user`; return the metadata."""
    return runtime.add_attachment(user, name, "application/pdf", io.BytesIO(data), **where)


def stored_files(runtime):
    """Every file below the attachments folder (temporary ones included)."""
    root = runtime.settings.attachments_path
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file())


def row(runtime, attachment_id):
    """(case_id, task_id, field) of an attachment row."""
    with runtime.db.read() as s:
        found = s.get(Attachment, attachment_id)
        return found.case_id, found.task_id, found.field


def test_a_pending_upload_is_stored_under_its_id_and_only_its_uploader_reads_it(deployed):
    meta = upload(deployed, "sales.tseng")
    assert len(meta["id"]) == 32 and meta["case_id"] is None and meta["task_id"] is None
    assert (meta["filename"], meta["content_type"], meta["size"]) == ("receipt.pdf", "application/pdf", len(PDF))
    assert meta["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (meta["uploaded_by"], meta["uploaded_at"]) == ("sales.tseng", deployed.clock.now())
    assert stored_files(deployed) == [f"{meta['id'][:2]}/{meta['id']}"]
    got, path = deployed.attachment(meta["id"], "sales.tseng")
    assert got == meta and path.is_absolute() and path.read_bytes() == PDF
    for other in ("sales.yeh", "ops.wang", "it.wu"):
        with pytest.raises(NotFound):
            deployed.attachment(meta["id"], other)
    for bad_id in ("../../etc/passwd", "0" * 32, meta["id"].upper(), None):
        with pytest.raises(NotFound):
            deployed.attachment(bad_id, "sales.tseng")


def test_too_large_and_empty_files_are_refused_and_leave_nothing(deployed):
    with pytest.raises(ValidationFailed) as info:
        upload(deployed, "sales.tseng", b"x" * 4097)
    assert info.value.errors == {"file": "is larger than 0.00391 MB"}
    with pytest.raises(ValidationFailed) as info:
        upload(deployed, "sales.tseng", b"")
    assert info.value.errors == {"file": "is empty"}
    assert stored_files(deployed) == []
    upload(deployed, "sales.tseng", b"x" * 4096)
    with deployed.db.read() as s:
        assert len(s.scalars(select(Attachment)).all()) == 1


def test_the_limit_reads_in_megabytes(db_url, clock, tmp_path):
    runtime = make_runtime(db_url, clock, attachments_path=str(tmp_path / "files"))
    assert runtime.settings.max_attachment_bytes == 10 * 1024 * 1024
    big = io.BytesIO(b"\0" * (10 * 1024 * 1024 + 1))
    with pytest.raises(ValidationFailed, match="is larger than 10 MB"):
        runtime.add_attachment("sales.tseng", "scan.tif", "image/tiff", big)
    assert [p for p in (tmp_path / "files").rglob("*") if p.is_file()] == []
    runtime.db.dispose()


@pytest.mark.parametrize("given,kept", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\win.ini", "win.ini"),
    ("C:\\Users\\chen\\Desktop\\發票.pdf", "發票.pdf"),
    ("evil\x00name\r\n.pdf", "evilname.pdf"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),
    ("..", "file"),
    ("   ", "file"),
    ("", "file"),
    (None, "file"),
    ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ("b" * 300, "b" * 255),
])
def test_file_names_are_cleaned(given, kept):
    assert clean_filename(given) == kept


@pytest.mark.parametrize("given,kept", [
    ("application/pdf", "application/pdf"), ("Image/PNG; charset=binary", "image/png"),
    ("text/html\r\nX-Evil: 1", "application/octet-stream"), ("", "application/octet-stream"),
    (None, "application/octet-stream"), ("pdf", "application/octet-stream"),
])
def test_content_types_are_cleaned(given, kept):
    assert clean_content_type(given) == kept


def test_a_traversing_name_stays_in_the_row_never_in_the_path(deployed):
    meta = upload(deployed, "sales.tseng", name="../../../../tmp/owned.pdf")
    assert meta["filename"] == "owned.pdf"
    _, path = deployed.attachment(meta["id"], "sales.tseng")
    assert path.parent.parent == Path(deployed.settings.attachments_path).resolve()
    assert path.name == meta["id"]


def test_uploads_to_a_case_follow_who_sees_it_and_are_in_its_history(deployed):
    case = deployed.start("expense", "sales.tseng", CLAIM)
    meta = upload(deployed, "sales.yeh", name="bank-slip.pdf", case_id=case)
    assert meta["case_id"] == case
    history = deployed.case(case)["history"]
    assert (history[-1]["kind"], history[-1]["actor"]) == ("attachment_added", "sales.yeh")
    assert history[-1]["data"] == {"id": meta["id"], "filename": "bank-slip.pdf", "size": len(PDF)}
    for reader in ("sales.tseng", "sales.yeh", "ops.wang"):
        assert deployed.attachment(meta["id"], reader)[0]["id"] == meta["id"]
    with pytest.raises(NotFound):
        deployed.attachment(meta["id"], "wh.kao")
    assert [a["id"] for a in deployed.case(case, "sales.tseng", "en")["attachments"]] == [meta["id"]]
    with pytest.raises(NotFound):
        upload(deployed, "wh.kao", case_id=case)
    with pytest.raises(NotFound):
        upload(deployed, "sales.tseng", case_id=999_999)
    with pytest.raises(Forbidden):
        upload(deployed, "nobody")
    deployed.cancel(case, "sales.tseng")
    with pytest.raises(NotReady, match="cancelled"):
        upload(deployed, "sales.tseng", case_id=case)
    assert len(stored_files(deployed)) == 1


def test_file_fields_link_pending_uploads_on_start(deployed):
    receipt = upload(deployed, "sales.tseng")
    first, second = upload(deployed, "sales.tseng", name="a.pdf"), upload(deployed, "sales.tseng", name="b.pdf")
    case = deployed.start("expense", "sales.tseng",
                          dict(CLAIM, receipt=receipt["id"], extras=[first["id"], second["id"]]))
    assert row(deployed, receipt["id"]) == (case, None, "receipt")
    assert row(deployed, first["id"]) == row(deployed, second["id"]) == (case, None, "extras")
    assert deployed.case(case)["data"]["receipt"] == receipt["id"]
    assert deployed.attachment(receipt["id"], "sales.yeh")[0]["case_id"] == case
    with pytest.raises(NotFound):
        deployed.attachment(receipt["id"], "wh.kao")
    view = deployed.case(case, "sales.tseng", "en")
    assert {a["id"]: a["field"] for a in view["attachments"]} == {receipt["id"]: "receipt", first["id"]: "extras",
                                                                   second["id"]: "extras"}


def test_file_fields_refuse_what_is_not_the_submitters_own_pending_upload(deployed):
    someone_elses = upload(deployed, "sales.lu")
    mine = upload(deployed, "sales.tseng")
    used = deployed.start("expense", "sales.tseng", dict(CLAIM, receipt=mine["id"]))
    for data, field in ((dict(CLAIM, receipt="f" * 32), "receipt"), (dict(CLAIM, receipt=someone_elses["id"]),
                                                                      "receipt"),
                        (dict(CLAIM, receipt=mine["id"]), "receipt"),
                        (dict(CLAIM, extras=[someone_elses["id"], "nonsense"]), "extras")):
        with pytest.raises(ValidationFailed) as info:
            deployed.start("expense", "sales.tseng", data)
        assert info.value.errors == {field: "unknown attachment"}
    assert row(deployed, someone_elses["id"]) == (None, None, None)
    assert row(deployed, mine["id"]) == (used, None, "receipt")
    with deployed.db.read() as s:
        assert s.scalar(select(Event.case_id).where(Event.kind == "case_started").order_by(Event.id.desc())
                        .limit(1)) == used


def test_file_fields_on_completion_keep_linked_files_and_link_new_ones(deployed):
    first = upload(deployed, "sales.tseng")
    case = deployed.start("expense", "sales.tseng", dict(CLAIM, receipt=first["id"]))
    deployed.complete(open_tasks(deployed, case)["approve"].id, "sales.yeh", {"decision": "reject"})
    revise = open_tasks(deployed, case)["revise"].id
    stray = upload(deployed, "sales.yeh")
    with pytest.raises(ValidationFailed) as info:
        deployed.complete(revise, "sales.tseng", dict(CLAIM, receipt=first["id"], extras=[stray["id"]]))
    assert info.value.errors == {"extras": "unknown attachment"}
    second = upload(deployed, "sales.tseng", name="corrected.pdf")
    deployed.complete(revise, "sales.tseng", dict(CLAIM, receipt=first["id"], extras=[second["id"]]))
    assert row(deployed, first["id"]) == (case, None, "receipt")
    assert row(deployed, second["id"]) == (case, revise, "extras")
    other = deployed.start("expense", "sales.tseng", CLAIM)
    deployed.complete(open_tasks(deployed, other)["approve"].id, "sales.yeh", {"decision": "reject"})
    with pytest.raises(ValidationFailed) as info:
        deployed.complete(open_tasks(deployed, other)["revise"].id, "sales.tseng", dict(CLAIM, receipt=first["id"]))
    assert info.value.errors == {"receipt": "unknown attachment"}


def test_an_upload_is_linked_only_when_its_form_is_accepted(deployed):
    """A refused form, for its own errors or for the web's reading errors, leaves the upload pending."""
    case = deployed.start("expense", "sales.tseng", CLAIM)
    deployed.complete(open_tasks(deployed, case)["approve"].id, "sales.yeh", {"decision": "reject"})
    revise = open_tasks(deployed, case)["revise"].id
    scan = upload(deployed, "sales.tseng")
    with pytest.raises(ValidationFailed) as info:
        deployed.complete(revise, "sales.tseng", dict(CLAIM, amount=-5, receipt=scan["id"]))
    assert set(info.value.errors) == {"amount"}
    assert row(deployed, scan["id"]) == (None, None, None)
    typed = dict(CLAIM, receipt=scan["id"])
    del typed["amount"]
    with pytest.raises(ValidationFailed) as info:
        deployed.complete(revise, "sales.tseng", typed, input_errors={"amount": "enter a number"})
    assert info.value.errors["amount"] == "enter a number"
    assert row(deployed, scan["id"]) == (None, None, None)
    deployed.complete(revise, "sales.tseng", dict(CLAIM, receipt=scan["id"]))
    assert row(deployed, scan["id"]) == (case, revise, "receipt")


def test_procurement_invoice_scan_is_linked_to_the_invoice_task(deployed):
    deployed.deploy([PROCESSES / "procurement"])
    scenario = yaml.safe_load((PROCESSES / "procurement" / "scenarios" / "01-small-office-purchase-paid.yaml")
                              .read_text(encoding="utf-8"))
    case = deployed.start("procurement", scenario["start"]["as"], scenario["start"]["data"])
    scan = None
    for step in (s for s in scenario["steps"] if "complete" in s):
        data = dict(step["data"])
        task = open_tasks(deployed, case)[step["complete"]]
        if step["complete"] == "match_invoice":
            scan = upload(deployed, step["as"], name="KT48201937.pdf")
            data["invoice_scan"] = scan["id"]
        deployed.complete(task.id, step["as"], data)
        if scan and step["complete"] == "match_invoice":
            assert row(deployed, scan["id"]) == (case, task.id, "invoice_scan")
    view = deployed.case(case, "ops.chen", "en")
    assert view["status"] == "completed" and view["data"]["invoice_scan"] == scan["id"]
    assert [a["filename"] for a in view["attachments"]] == ["KT48201937.pdf"]
    with deployed.db.read() as s:
        assert s.scalar(select(HumanTask.id).where(HumanTask.case_id == case)) is None


def test_uploads_no_form_took_are_purged_after_a_day(deployed, clock):
    from datetime import timedelta

    waiting = upload(deployed, "sales.tseng")
    case = deployed.start("expense", "sales.tseng", {"purpose": "Taxi fare", "amount": 300, "receipt": waiting["id"]})
    abandoned = upload(deployed, "sales.tseng", name="never-sent.pdf")
    clock.advance(timedelta(hours=23))
    assert deployed.purge_pending_uploads() == 0
    clock.advance(timedelta(hours=2))
    assert deployed.purge_pending_uploads() == 1
    with pytest.raises(NotFound):
        deployed.attachment(abandoned["id"], "sales.tseng")
    assert stored_files(deployed) == [f"{waiting['id'][:2]}/{waiting['id']}"]
    assert deployed.attachment(waiting["id"], "sales.tseng")[0]["case_id"] == case


def test_one_user_may_not_pile_up_uploads(deployed, monkeypatch):
    from engine.runtime import attachments

    monkeypatch.setattr(attachments, "MAX_PENDING_PER_USER", 2)
    upload(deployed, "sales.tseng")
    upload(deployed, "sales.tseng")
    with pytest.raises(ValidationFailed, match="wait for a form already"):
        upload(deployed, "sales.tseng")
    upload(deployed, "sales.lu")  # the limit is per user


def test_file_widgets_on_array_items_are_file_fields_too():
    from engine.runtime.files import file_values, has_file_fields

    # The web form renders both shapes as a file upload, so both are checked and linked.
    schema = {"type": "object", "properties": {
        "scans": {"type": "array", "items": {"type": "string", "x-widget": "file"}},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "photo": {"type": "string", "x-widget": "file"}, "note": {"type": "string"}}}},
        "note": {"type": "string"}}}
    data = {"scans": ["a" * 32, "b" * 32], "lines": [{"photo": "c" * 32, "note": "x"}], "note": "d" * 32}
    assert has_file_fields(schema)
    assert list(file_values(schema, data)) == [("scans", "a" * 32), ("scans", "b" * 32), ("lines/0/photo", "c" * 32)]
    assert not has_file_fields({"type": "object", "properties": {"note": {"type": "string"}}})
