"""Downloads are served from the runtime's file store as a stream, so a store without a disk serves them too."""
import hashlib
import io

from tests.memory_store import MemoryStore
from tests.webapp import start_purchase


def test_a_download_streams_the_stores_bytes_with_their_length_and_hash(runtime, login):
    runtime.context.file_store = store = MemoryStore()
    case_id = start_purchase(runtime)
    client = login("ops.lin")
    text = b"quote: 12,000 TWD\n"
    posted = client.post(f"/cases/{case_id}/attachments", data={"file": (io.BytesIO(text), "quote.txt", "text/plain")},
                         content_type="multipart/form-data")
    assert posted.status_code == 302
    file_id = runtime.case(case_id, "ops.lin", "en")["attachments"][0]["id"]
    assert list(store.files) == [file_id]
    download = client.get(f"/attachments/{file_id}")
    assert (download.status_code, download.get_data(), download.mimetype) == (200, text, "text/plain")
    assert download.headers["Content-Length"] == str(len(text))
    assert download.headers["Content-Disposition"].startswith("inline")
    assert download.get_etag() == (hashlib.sha256(text).hexdigest(), False)
    again = client.get(f"/attachments/{file_id}", headers={"If-None-Match": download.headers["ETag"]})
    assert again.status_code == 304
    assert login("sales.lu").get(f"/attachments/{file_id}").status_code == 404
    store.delete(file_id)
    assert client.get(f"/attachments/{file_id}").status_code == 404
