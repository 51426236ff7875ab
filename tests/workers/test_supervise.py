"""workers.supervise: what every Procfile line runs under, so one exit never ends the stack."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.parts import alive
from tests.faults.stack import ROOT
from tests.waiting import wait_until

pytestmark = pytest.mark.faults

# Exits 3 on its first run; afterwards runs until SIGTERM, which it notes before exiting.
COMMAND = """
import pathlib, signal, sys, time
d = pathlib.Path(sys.argv[1])
runs = len(list(d.glob("run-*")))
(d / f"run-{runs}").write_text(str(__import__("os").getpid()))
if runs == 0:
    sys.exit(3)
def stop(*_):
    (d / "stopped").write_text("yes")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(0.05)
"""


def _supervise(tmp_path: Path) -> tuple[subprocess.Popen, Path]:
    script = tmp_path / "command.py"
    script.write_text(COMMAND)
    log = tmp_path / "supervise.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workers.supervise", "demo", "--", sys.executable, str(script),
             str(tmp_path)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            env={"LOG_JSON": "false", "PATH": "/usr/bin:/bin"})
    return proc, log


def _second_run(tmp_path: Path) -> int:
    wait_until(lambda: (tmp_path / "run-1").exists(), 15, what="the command to be started again")
    return int(wait_until(lambda: (tmp_path / "run-1").read_text(), 5, what="its pid"))


def test_a_command_that_exits_is_started_again_with_a_log_line(tmp_path):
    proc, log = _supervise(tmp_path)
    try:
        pid = _second_run(tmp_path)
        assert proc.poll() is None
        assert "demo: exited with status 3 after" in log.read_text()
        assert "restarting in 1 s" in log.read_text()

        proc.send_signal(signal.SIGTERM)  # what honcho or systemd sends to stop it
        assert proc.wait(10) == 0
        assert (tmp_path / "stopped").read_text() == "yes"  # passed on, once
        assert not alive(pid)
        assert not (tmp_path / "run-2").exists()  # and not started again
    finally:
        if proc.poll() is None:
            proc.kill()


def test_the_command_does_not_outlive_a_killed_supervisor(tmp_path):
    proc, _log = _supervise(tmp_path)
    try:
        pid = _second_run(tmp_path)
        proc.kill()
        proc.wait(5)
        wait_until(lambda: (tmp_path / "stopped").exists(), 10, what="the command to stop")
        wait_until(lambda: not alive(pid), 10, what="the command to exit")
    finally:
        if proc.poll() is None:
            proc.kill()


def test_usage():
    result = subprocess.run([sys.executable, "-m", "workers.supervise", "web"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "usage:" in result.stderr


def test_every_procfile_line_runs_under_the_supervisor():
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, command = (part.strip() for part in line.split(":", 1))
            assert command.startswith(f"exec python -m workers.supervise {name} -- "), line
