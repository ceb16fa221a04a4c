"""`opsflow serve`'s processes: gunicorn's arbiter and one timer worker, started, watched and stopped together.

The timer worker is a child process rather than a thread, because a thread would not survive gunicorn
forking its web workers and one per web worker would be too many: the whole server runs exactly one.
"""
import signal
import subprocess
import time

LONGEST_RESTART_WAIT = 30.0  # seconds between restarts of a timer worker that keeps exiting
STEADY_AFTER = 60.0  # a worker that ran this long restarts at once if it exits


class Supervisor:
    """Runs the web server and (optionally) the timer worker; TERM/INT stop both, HUP reloads both."""

    def __init__(self, web_command, worker_command, echo):
        self.web_command, self.worker_command, self.echo = web_command, worker_command, echo
        self.web = self.worker = None
        self.stopping = self.reloading = False
        self.restarts, self.worker_started = 0, 0.0
        self.worker_due = 0.0  # monotonic time the next timer worker may start

    def run(self):
        """Start the processes and watch them until the web server ends; return its exit code."""
        handlers = {signum: signal.signal(signum, handler) for signum, handler in
                    ((signal.SIGTERM, self._stop), (signal.SIGINT, self._stop), (signal.SIGHUP, self._reload))}
        try:
            self.web = subprocess.Popen(self.web_command)
            while not self.stopping and self.web.poll() is None:
                self._watch_worker()
                time.sleep(0.2)
            self._stop()
            code = self.web.wait()
            if self.worker is not None:
                self.worker.wait()
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
        return code

    def _watch_worker(self):
        """Start the timer worker when none runs, waiting longer after each quick exit."""
        if self.worker_command is None or self.stopping:
            return
        if self.worker is not None and self.worker.poll() is None:
            return
        now = time.monotonic()
        if self.worker is not None:
            wait = 0.0 if self.reloading else self._crash_wait(now - self.worker_started)
            if not self.reloading:
                self.echo(f"timer worker exited with code {self.worker.returncode}; restarting it in {wait:g} s")
            self.worker, self.worker_due, self.reloading = None, now + wait, False
        if now >= self.worker_due:
            self.worker = subprocess.Popen(self.worker_command)
            self.worker_started = now

    def _crash_wait(self, ran):
        """Seconds to wait before restarting a worker that ran `ran` seconds: doubling while it keeps exiting."""
        self.restarts = 0 if ran > STEADY_AFTER else self.restarts + 1
        return min(LONGEST_RESTART_WAIT, 2.0 ** self.restarts) if self.restarts else 0.0

    def _stop(self, *_signal):
        """Ask both processes to finish what they are doing and exit."""
        self.stopping = True
        for process in (self.web, self.worker):
            if process is not None and process.poll() is None:
                process.terminate()

    def _reload(self, *_signal):
        """Graceful restart: gunicorn replaces its web workers; the timer worker restarts between timers."""
        if self.web is not None and self.web.poll() is None:
            self.web.send_signal(signal.SIGHUP)
        if self.worker is not None and self.worker.poll() is None:
            self.reloading = True  # the exit that follows is this reload's, not a crash
            self.worker.terminate()
