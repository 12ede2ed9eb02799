"""What the supervisor writes to the log files: redacted, owner-only, locked while open."""

from __future__ import annotations

import fcntl
import io
import os
import stat
import sys
import time
from pathlib import Path

import pytest

from bot.supervisor import ServerProcess


def test_server_output_is_redacted_in_the_log_and_on_the_console(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "toy.log"
    log_file.parent.mkdir()
    echo = io.StringIO()
    code = (
        "import time; print('user said: card 4111 1111 1111 1111, mail ana@example.com, "
        "call +44 20 7946 0958, order 12345678', flush=True); time.sleep(30)"
    )
    proc = ServerProcess(
        "toy",
        [sys.executable, "-u", "-c", code],
        health=lambda: True,
        log_file=log_file,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
        echo=echo,
    )
    old_umask = os.umask(0o022)
    try:
        proc.start()
    finally:
        os.umask(old_umask)
    try:
        deadline = time.monotonic() + 20
        while "order" not in proc.log_tail() and time.monotonic() < deadline:
            time.sleep(0.05)
        expected = "user said: card [card], mail [email], call [phone], order 12345678"
        assert log_file.read_text().splitlines() == [expected]
        assert echo.getvalue() == f"[toy] {expected}\n"
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
        fd = os.open(log_file, os.O_RDONLY)
        try:  # `bot erase` sees that the file is in use
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
    finally:
        proc.stop(grace_s=5)
