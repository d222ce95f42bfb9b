"""Peak RSS of a command, for the benchmark scripts.

Linux keeps in a process's peak RSS (`ru_maxrss`) the RSS it had before it
called exec, and a process forked from Python starts as a copy of it: the
peak RSS of anything Python starts directly is at least Python's own (about
14 MiB). So the command is started by GNU time (`/usr/bin/time`, Debian
package `time`), a small process, which reports the command's own peak.
Without GNU time the figure is "n/a", never a wrong one.
"""
import os
import subprocess
import tempfile

GNU_TIME = "/usr/bin/time"


def start(argv, **popen):
    """Starts `argv` under GNU time; returns the process and a function that,
    once the process has ended, gives its peak RSS as text ("6.5 MiB")."""
    if not os.access(GNU_TIME, os.X_OK):
        return subprocess.Popen(argv, **popen), lambda: "n/a (needs GNU time)"
    fd, path = tempfile.mkstemp(prefix="aiid-rss.")
    os.close(fd)
    proc = subprocess.Popen([GNU_TIME, "-f", "%M", "-o", path, *argv], **popen)

    def result():
        try:
            with open(path) as f:
                last = f.read().split()[-1]
            return f"{int(last) / 1024:.1f} MiB"
        finally:
            os.remove(path)

    return proc, result


def peak_rss(argv):
    """Runs `argv` (output discarded) and returns its peak RSS as text."""
    proc, result = start(argv, stdout=subprocess.DEVNULL)
    if proc.wait() != 0:
        raise SystemExit(f"{argv} failed: status {proc.returncode}")
    return result()
