"""One run at a time, clean interrupts, and cleaning up after a run that was killed.

- `RunLock`: a build, fetch or publish holds an exclusive lock on .staging/run.lock. A second run refuses at
  once with a message naming the run in progress (or waits, with --wait). The operating system releases the
  lock when its process ends, however it ends.
- `kill_run_processes`: every process a run starts (notebook workers, kernels, jupyter-book, Chromium)
  inherits the environment variable FOLLOWUP_RUN; on Ctrl-C the run ends them all, kernels included (they
  run in sessions of their own, so the terminal's Ctrl-C does not reach them).
- `recover`: a run killed outright (SIGKILL) may leave a staging folder, or a half-done swap (see
  followup.swap) of _build/, data/kolada/, the example data or a published report; the next run restores
  what was being replaced and removes the rest.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

import psutil

from . import swap
from .errors import FollowupError

log = logging.getLogger(__name__)
MARKER = "FOLLOWUP_RUN"
FAILED = "FAILED"  # a file in a failed run's staging folder, which is kept for inspection
KEEP_FAILED = 5
SWAP_NAME = re.compile(r"^\.(.+)\.(?:old|new)-\d+-\d+$")  # a swap's sibling folder (see followup.swap)


class BusyError(FollowupError):
    """Another run holds the lock."""


class RunLock:
    def __init__(self, repo: Path, command: str, wait: bool = False):
        self.path = Path(repo) / ".staging" / "run.lock"
        self.command, self.wait, self.file = command, wait, None

    def __enter__(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "another run"
            self.file.close()
            raise BusyError(
                f"{holder} is in progress in this folder; wait until it has finished, or run "
                f"again with --wait to wait for it"
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"a {self.command} (process {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC)")
        self.file.flush()
        return self

    def __exit__(self, *exc):
        self.file.seek(0)
        self.file.truncate()
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def run_processes(run_id: str) -> list[int]:
    """The processes (other than this one) whose environment carries FOLLOWUP_RUN=run_id."""
    found = []
    for proc in psutil.process_iter():
        if proc.pid == os.getpid():
            continue
        try:
            if proc.environ().get(MARKER) == run_id:
                found.append(proc.pid)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def kill_run_processes(run_id: str, timeout: float = 10.0) -> None:
    """End every process of a run and wait until they are gone."""
    deadline = time.monotonic() + timeout
    while True:
        pids = run_processes(run_id)
        if not pids or time.monotonic() > deadline:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)


def swapped(repo: Path) -> dict[Path, str]:
    """Every folder a run replaces with followup.swap, and the kind of run that does it."""
    repo = Path(repo)
    targets = {
        repo / "_build": "report build",
        repo / "data" / "kolada": "fetch",
        repo / "data" / "example" / "kolada": "example data run",
        repo / "data" / "example" / "local": "example data run",
    }
    reports = repo / "reports"
    for year in sorted({m[1] for p in reports.glob(".*") if (m := SWAP_NAME.match(p.name))}):
        targets[reports / year] = "publish"
    return targets


def recover(repo: Path) -> None:
    """Undo what a killed run left half-done (call it while holding the lock)."""
    repo = Path(repo)
    remove_killed_runs(repo)
    for target, run in swapped(repo).items():
        if swap.recover(target):
            where = target.relative_to(repo).as_posix()
            log.info(f"restored {where}/ (a previous {run} was killed while replacing it)")


def remove_killed_runs(repo: Path) -> None:
    """Remove the staging folders of killed runs (ending what they left running), and all but the last
    KEEP_FAILED of the failed runs' (kept for inspection)."""
    failed = []
    for run in sorted((Path(repo) / ".staging").glob("run-*")):
        if (run / FAILED).exists():
            failed.append(run)
        else:  # left by a killed run: end what it left running (workers, kernels), then remove it
            kill_run_processes(run.name)
            shutil.rmtree(run, ignore_errors=True)
            log.info(f"removed {run.relative_to(repo)}/, left by a run that was killed")
    for run in failed[:-KEEP_FAILED]:
        shutil.rmtree(run, ignore_errors=True)
