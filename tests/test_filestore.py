"""File stores: LocalDiskStore and the in-memory test store behave alike, and the runtime's uploads go to its store."""
import hashlib
import io
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from engine.errors import NotFound, ValidationFailed
from engine.filestore import KEY_PATTERN, LocalDiskStore
from tests.conftest import PACKAGES, make_runtime
from tests.memory_store import MemoryStore
from tests.test_attachments import FILE_FIELDS, PDF
from tests.test_runtime import CLAIM


@pytest.fixture(params=["disk", "memory"])
def store(request, tmp_path):
    """Each store: a LocalDiskStore in a fresh folder, and the in-memory one."""
    return LocalDiskStore(tmp_path / "files") if request.param == "disk" else MemoryStore()


def kept(store):
    """Everything a store holds: its keys in memory, or every file below the disk store's folder (temporary too)."""
    if isinstance(store, MemoryStore):
        return list(store.files)
    return [path for path in Path(store.folder).rglob("*") if path.is_file()]


def test_a_stream_is_kept_under_a_new_key_with_its_size_and_hash(store):
    first, second = store.put(io.BytesIO(PDF), 4096), store.put(io.BytesIO(b"x"), 4096)
    assert KEY_PATTERN.match(first.key) and first.key != second.key
    assert (first.size, first.sha256) == (len(PDF), hashlib.sha256(PDF).hexdigest())
    assert store.exists(first.key) and store.exists(second.key)
    with store.open(first.key) as stream:
        assert stream.read() == PDF
    store.delete(first.key)
    store.delete(first.key)  # twice is fine
    assert not store.exists(first.key) and store.exists(second.key)
    with pytest.raises(FileNotFoundError):
        store.open(first.key)


@pytest.mark.parametrize(("data", "reason"), [(b"x" * 4097, "is larger than 0.00391 MB"), (b"", "is empty")])
def test_too_large_and_empty_streams_are_refused_and_nothing_is_kept(store, data, reason):
    with pytest.raises(ValidationFailed) as info:
        store.put(io.BytesIO(data), 4096)
    assert info.value.errors == {"file": reason}
    assert kept(store) == []


def test_the_disk_store_keeps_todays_layout_and_refuses_what_is_not_a_key(tmp_path):
    store = LocalDiskStore(tmp_path / "files")
    stored = store.put(io.BytesIO(PDF), 4096)
    path = store.location(stored.key)
    assert path == (tmp_path / "files").resolve() / stored.key[:2] / stored.key and path.read_bytes() == PDF
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [stored.key]  # no temporary left
    for bad in ("../../etc/passwd", stored.key.upper(), None):
        with pytest.raises(ValueError, match="is not a file key"):
            store.location(bad)


@pytest.fixture
def memory_runtime(db_url, clock, tmp_path):
    """A runtime whose uploads go to a MemoryStore, with the file-field expense package; (runtime, store)."""
    store = MemoryStore()
    runtime = make_runtime(db_url, clock, file_store=store, attachments_path=str(tmp_path / "disk"),
                           max_attachment_bytes=4096)
    package = tmp_path / "expense"
    shutil.copytree(PACKAGES / "expense", package)
    form = package / "forms" / "claim.yaml"
    form.write_text(form.read_text(encoding="utf-8") + FILE_FIELDS, encoding="utf-8")
    runtime.deploy([package])
    yield runtime, store
    runtime.db.dispose()


def read(runtime, attachment_id, user):
    """The bytes of an attachment as `user` reads them through the runtime."""
    meta, stream = runtime.open_attachment(attachment_id, user)
    with stream:
        assert meta["id"] == attachment_id
        return stream.read()


def test_the_attachment_flow_runs_through_the_runtimes_store(memory_runtime, clock, tmp_path):
    runtime, store = memory_runtime
    receipt = runtime.add_attachment("sales.tseng", "receipt.pdf", "application/pdf", io.BytesIO(PDF))
    assert list(store.files) == [receipt["id"]] and receipt["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert runtime.attachment(receipt["id"], "sales.tseng")[1] == f"memory:{receipt['id']}"
    assert read(runtime, receipt["id"], "sales.tseng") == PDF
    with pytest.raises(NotFound):
        runtime.open_attachment(receipt["id"], "sales.yeh")  # pending: its uploader's alone
    with pytest.raises(ValidationFailed, match="larger than"):
        runtime.add_attachment("sales.tseng", "big.pdf", "application/pdf", io.BytesIO(b"x" * 4097))
    assert list(store.files) == [receipt["id"]]

    case = runtime.start("expense", "sales.tseng", dict(CLAIM, receipt=receipt["id"]))
    assert runtime.attachment(receipt["id"], "sales.yeh")[0]["case_id"] == case
    assert read(runtime, receipt["id"], "sales.yeh") == PDF
    with pytest.raises(NotFound):
        runtime.open_attachment(receipt["id"], "wh.kao")

    abandoned = runtime.add_attachment("sales.tseng", "never-sent.pdf", "application/pdf", io.BytesIO(b"draft"))
    clock.advance(timedelta(hours=25))
    assert runtime.purge_pending_uploads() == 1
    assert list(store.files) == [receipt["id"]] and not store.exists(abandoned["id"])

    store.delete(receipt["id"])
    with pytest.raises(NotFound, match="missing from the file store"):
        runtime.attachment(receipt["id"], "sales.tseng")
    with pytest.raises(NotFound, match="missing from the file store"):
        runtime.open_attachment(receipt["id"], "sales.tseng")
    assert not (tmp_path / "disk").exists()  # nothing went to the attachments folder
