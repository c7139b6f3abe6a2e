"""Is a process still there? For files and ledger rows a process left behind when it died."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def process_start(pid: int) -> str:
    """The kernel's boot id and start tick of a local process (Linux), or "" where unknown.

    Two processes that had the same pid (after a reboot, or the pid wrapping round)
    have different values, so a recorded value tells "still the same process".
    ``"zombie"`` for a process that has ended but not been reaped.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":
        return "zombie"
    boot = ""
    with contextlib.suppress(OSError):
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    return f"{boot}:{fields[19]}"


def is_gone(pid: int, started: str = "") -> bool:
    """Whether local process ``pid`` (started at ``started``, if known) has certainly ended."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # there, another user's
    now_started = process_start(pid)
    if now_started == "zombie":
        return True
    # A different start means the pid now belongs to another process.
    return bool(started and now_started and now_started != started)
