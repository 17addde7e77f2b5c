"""One run at a time, clean interrupts, and cleaning up after a run that was killed.

- `RunLock`: a build, fetch or publish holds an exclusive lock on .staging/run.lock. A second run refuses at
  once with a message naming the run in progress (or waits, with --wait). The operating system releases the
  lock when its process ends, however it ends.
- `kill_run_processes`: every process a run starts (notebook workers, kernels, jupyter-book, Chromium)
  inherits the environment variable FOLLOWUP_RUN; on Ctrl-C the run ends them all, kernels included (they
  run in sessions of their own, so the terminal's Ctrl-C does not reach them).
- `recover`: a run killed outright (SIGKILL) may leave a staging folder, or a half-swapped _build/ or
  data/kolada/; the next run restores what was being replaced and removes the rest.
"""
from __future__ import annotations

import fcntl
import os
import shutil
import signal
import time
from datetime import datetime, timezone
from pathlib import Path

from .errors import FollowupError

MARKER = "FOLLOWUP_RUN"
FAILED = "FAILED"  # a file in a failed run's staging folder, which is kept for inspection
KEEP_FAILED = 5


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
            raise BusyError(f"{holder} is in progress in this folder; wait until it has finished, or run "
                            f"again with --wait to wait for it") from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"a {self.command} (process {os.getpid()}, started "
                        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC)")
        self.file.flush()
        return self

    def __exit__(self, *exc):
        self.file.seek(0)
        self.file.truncate()
        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()


def run_processes(run_id: str) -> list[int]:
    """The processes (other than this one) whose environment carries FOLLOWUP_RUN=run_id."""
    needle = f"{MARKER}={run_id}".encode() + b"\0"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
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


def restore_build(repo: Path) -> bool:
    """If _build/ is missing while the report it replaced waits in .staging/old-*, put it back."""
    repo = Path(repo)
    old_builds = sorted((repo / ".staging").glob("old-*"))
    if not (repo / "_build").exists() and old_builds:
        old_builds[-1].rename(repo / "_build")
        return True
    return False


def recover(repo: Path, log) -> None:
    """Undo what a killed run left half-done (call it while holding the lock)."""
    repo = Path(repo)
    staging = repo / ".staging"
    if restore_build(repo):
        log("restored _build/ from the last report (a previous run was killed while replacing it)")
    for path in staging.glob("old-*"):
        shutil.rmtree(path, ignore_errors=True)
    failed = []
    for run in sorted(staging.glob("run-*")):
        if (run / FAILED).exists():
            failed.append(run)
        else:  # left by a killed run: end what it left running (workers, kernels), then remove it
            kill_run_processes(run.name)
            shutil.rmtree(run, ignore_errors=True)
            log(f"removed {run.relative_to(repo)}/, left by a run that was killed")
    for run in failed[:-KEEP_FAILED]:
        shutil.rmtree(run, ignore_errors=True)
    data = repo / "data"
    kolada, old_snapshots = data / "kolada", sorted(data.glob(".kolada-old-*"))
    if not kolada.exists() and old_snapshots:
        old_snapshots[-1].rename(kolada)
        log("restored data/kolada/ (a previous fetch was killed while replacing it)")
    for path in [*data.glob(".kolada-old-*"), *data.glob(".kolada-new-*"), *data.glob(".local-sealing")]:
        shutil.rmtree(path, ignore_errors=True)
    reports = repo / "reports"
    for old in sorted(reports.glob(".*-old")):  # a publish killed between its two renames
        year = old.name[1:-len("-old")]
        if not (reports / year).exists():
            old.rename(reports / year)
            log(f"restored reports/{year}/ (a previous publish was killed while replacing it)")
    for path in [*reports.glob(".*-old"), *reports.glob(".*-publishing")]:
        shutil.rmtree(path, ignore_errors=True)
