"""Executing the notebooks: papermill in parallel worker processes, one kernel per notebook.

Kernels talk over IPC sockets in a private folder (no TCP ports for parallel kernels to race for), inherit
an environment for deterministic runs (`kernel_environment`), and write their chatter to the run's log.
The first failure (or Ctrl-C) stops the run; the caller ends every process of the run.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from datetime import datetime
from pathlib import Path

from . import fmt
from .errors import BuildError
from .notebooks import tidy_executed

log = logging.getLogger(__name__)
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def say(line: str) -> None:
    """Print one whole line at once (worker processes share the terminal)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # a captured or redirected stdout
        print(line, flush=True)
        return
    sys.stdout.flush()
    os.write(fd, (line + "\n").encode("utf-8"))


def kernel_environment(retrieved: str | None = None) -> dict:
    """Environment variables for deterministic runs; set in this process and inherited by kernels.
    `retrieved` (the data's retrieval time) becomes SOURCE_DATE_EPOCH."""
    env = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1", "TZ": "UTC"}
    if retrieved is not None:
        env["SOURCE_DATE_EPOCH"] = str(int(datetime.fromisoformat(retrieved.replace("Z", "+00:00")).timestamp()))
    return env


def _failure(job: dict, exc: Exception) -> BuildError:
    import papermill as pm

    if isinstance(exc, pm.PapermillExecutionError):
        tb = [ANSI.sub("", line) for line in exc.traceback]
        tail = "\n".join("\n".join(tb).splitlines()[-8:])
        return BuildError(
            f"goal area {job['name']}: cell {exc.cell_index} (execution count {exc.exec_count}) "
            f"raised {exc.ename}: {exc.evalue}\n{tail}\n"
            f"executed notebook kept for inspection: {job['output']}"
        )
    return BuildError(f"goal area {job['name']}: {type(exc).__name__}: {exc}")


def _run_once(job: dict) -> None:
    import papermill as pm
    from jupyter_client.manager import AsyncKernelManager

    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "k"))
        pm.execute_notebook(
            job["input"],
            job["output"],
            parameters=job["parameters"],
            cwd=job["cwd"],
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            km=km,
        )


def run_job(job: dict) -> tuple[str, float]:
    """Run one notebook with papermill (in a worker process). Returns (name, seconds)."""
    logging.getLogger("papermill").setLevel(logging.WARNING)
    # The kernel inherits this worker's stderr: send its chatter to the run's log, not the terminal.
    with open(job["log"], "ab") as log_file:
        os.dup2(log_file.fileno(), 2)
    if job.get("announce", True):
        say(f"  {job['name']:<28} started")
    start = time.monotonic()
    for attempt in (1, 2):
        try:
            _run_once(job)
            break
        except RuntimeError as exc:
            if attempt == 1 and "before replying to kernel_info" in str(exc):
                continue  # a kernel that dies while starting is started once more
            raise _failure(job, exc) from None
        except Exception as exc:  # a failing cell, a kernel that died, an unreadable notebook, ...
            raise _failure(job, exc) from None
    tidy_executed(Path(job["output"]))
    return job["name"], time.monotonic() - start


def execute_all(jobs: list[dict], workers: int) -> None:
    """Execute the notebooks in parallel; the first failure (or Ctrl-C) stops the run at once."""
    # "spawn": workers start fresh instead of forking this process, so they do not inherit its open files
    # (a forked worker would hold the run lock after this process was killed).
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = {pool.submit(run_job, job): job["name"] for job in jobs}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for f in sorted(done, key=lambda f: futures[f]):
                if f.exception() is not None:
                    raise f.exception()
                name, secs = f.result()
                log.info(f"  {name:<28} finished in {fmt.number(secs, 1)} s")
    except BaseException:
        # Do not wait for the notebooks still running: the caller stops every process of the run.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
