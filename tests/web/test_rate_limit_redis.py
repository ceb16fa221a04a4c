"""Sign-in limits through Redis: separate web processes sharing one store count attempts together."""
import json
import shutil
import subprocess
import sys
import uuid

import pytest

from tests.conftest import ROOT, redis_or_skip

# One web process: its own app on the shared database, trying wrong passwords for ops.lin; prints the statuses.
ATTEMPTS = """
import json, sys
from tests.webapp import build_app
db_file, folder, storage, prefix, count = sys.argv[1:]
app = build_app(db_file, folder, RATELIMIT_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute",
                RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix)
client = app.test_client()
print(json.dumps([client.post("/login", data={"username": "ops.lin", "password": "a guess"}).status_code
                  for _ in range(int(count))]))
"""


def attempts(db_file, folder, storage, prefix, count):
    """The sign-in statuses one separate web process gets."""
    done = subprocess.run([sys.executable, "-c", ATTEMPTS, str(db_file), str(folder), storage, prefix, str(count)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=True)
    return json.loads(done.stdout)


@pytest.fixture
def shared_db(prepared_db, tmp_path):
    """A copy of the prepared database both processes use."""
    shutil.copy(prepared_db, tmp_path / "shared.db")
    return tmp_path / "shared.db"


def test_two_web_processes_sharing_redis_count_sign_ins_together(shared_db, tmp_path):
    import redis

    url = redis_or_skip()
    prefix = f"opsflow-test-{uuid.uuid4().hex}"  # this run's own counters, whatever else uses the server
    try:
        assert attempts(shared_db, tmp_path, url, prefix, 2) == [401, 401]
        assert attempts(shared_db, tmp_path, url, prefix, 2) == [401, 429]
    finally:
        store = redis.Redis.from_url(url)
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


def test_with_memory_storage_each_process_counts_alone(shared_db, tmp_path):
    assert attempts(shared_db, tmp_path, "memory://", "opsflow", 2) == [401, 401]
    assert attempts(shared_db, tmp_path, "memory://", "opsflow", 2) == [401, 401]
