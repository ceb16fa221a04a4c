"""Run `opsflow` commands in one process under an address-space cap, then print its peak memory.

`python -m tests.opsflow_probe validate PKG :: deploy PKG` runs each command as the console script
would (one-line errors, exit codes), writes `@@ exit N` to stderr after each, and ends with
`@@ peak-rss-mb N`. The cap turns a parser that runs away (the YAML alias bomb took 3.4 GB) into a
MemoryError instead of a host out of memory.
"""
import resource
import sys
from pathlib import Path

CAP_BYTES = 2 * 1024**3
SEPARATOR = "::"


def _commands(argv):
    """Split the arguments into commands at each `::`."""
    commands, current = [], []
    for arg in argv:
        if arg == SEPARATOR:
            commands.append(current)
            current = []
        else:
            current.append(arg)
    return [*commands, current]


def peak_rss_mb():
    """This process's peak resident memory since it started.

    Linux's getrusage carries the parent's peak over fork and exec (a child of a 300 MB pytest
    reports 300 MB), so the kernel's own high-water mark of this program (VmHWM) is read first.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def run(argv):
    """Run every command, reporting each exit code and finally the peak resident memory."""
    resource.setrlimit(resource.RLIMIT_AS, (CAP_BYTES, CAP_BYTES))
    from webui.cli import main

    for command in _commands(argv):
        try:
            main.main(command, prog_name="opsflow", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        print(f"@@ exit {code}", file=sys.stderr, flush=True)
    print(f"@@ peak-rss-mb {peak_rss_mb()}", file=sys.stderr)


if __name__ == "__main__":
    run(sys.argv[1:])
