"""`opsflow serve`'s supervisor keeps one timer worker running beside the web server and stops with it."""
import sys

from webui.supervise import Supervisor

EXIT_AT_ONCE = [sys.executable, "-c", "raise SystemExit(3)"]
RUN_A_WHILE = [sys.executable, "-c", "import time; time.sleep(2)"]


def test_a_timer_worker_that_exits_is_restarted_after_a_wait_and_the_web_code_is_returned():
    said = []
    code = Supervisor(RUN_A_WHILE, EXIT_AT_ONCE, said.append).run()
    assert code == 0
    assert said[0] == "timer worker exited with code 3; restarting it in 2 s"


def test_without_a_worker_only_the_web_server_runs():
    said = []
    assert Supervisor(EXIT_AT_ONCE, None, said.append).run() == 3
    assert said == []
