"""Executing the notebooks: papermill in parallel worker processes, each with a kernel it keeps for its next
notebook (or, without the cache, a fresh kernel per notebook).

Kernels talk over IPC sockets in a private folder (no TCP ports for parallel kernels to race for), inherit
an environment for deterministic runs (`kernel_environment`), and write their chatter to the run's log.
The first failure (or Ctrl-C) stops the run; the caller ends every process of the run.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.util
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from datetime import datetime
from pathlib import Path

from . import fmt
from .errors import BuildError, without_ansi

log = logging.getLogger(__name__)
QUIET = "FOLLOWUP_QUIET"  # set during a quiet build: the workers announce nothing
# Set during a build without the cache (`make verify`, --no-cache): every notebook in a kernel of its own. By
# default a worker keeps its kernel for its next notebook, with identical outputs.
FRESH_KERNELS = "FOLLOWUP_FRESH_KERNELS"


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
    """Environment variables for deterministic runs; set in this process and inherited by the workers and
    their kernels. `retrieved` (the data's retrieval time) becomes SOURCE_DATE_EPOCH: the workers start before
    it is known, so each notebook's job carries it too (job["env"], see `run_job`)."""
    env = {"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1", "TZ": "UTC"}
    if retrieved is not None:
        env["SOURCE_DATE_EPOCH"] = str(int(datetime.fromisoformat(retrieved.replace("Z", "+00:00")).timestamp()))
    return env


def _failure(job: dict, exc: Exception) -> BuildError:
    import papermill as pm

    if isinstance(exc, pm.PapermillExecutionError):
        tb = [without_ansi(line) for line in exc.traceback]
        tail = "\n".join("\n".join(tb).splitlines()[-8:])
        return BuildError(
            f"goal area {job['name']}: cell {exc.cell_index} (execution count {exc.exec_count}) "
            f"raised {exc.ename}: {exc.evalue}\n{tail}\n"
            f"executed notebook kept for inspection: {job['output']}"
        )
    return BuildError(f"goal area {job['name']}: {type(exc).__name__}: {exc}")


# This worker's kernel, kept for the next notebook it runs (see `_kernel`).
_KERNEL: dict = {}
# Run in a kept kernel before its next notebook: a clean namespace, the notebook's working folder and the run's
# environment, as a fresh kernel would have. (Imports stay loaded, which is the point; the notebooks set their
# own options.) It is the first cell of the notebook papermill executes (no client of its own to connect: a few
# tenths of a second), tagged RESET_TAG; followup.notebooks.tidy_executed removes it from the executed notebook.
RESET = """\
get_ipython().run_line_magic("reset", "-f")
import os as _os, matplotlib.pyplot as _plt
_os.chdir({cwd!r})
_os.environ.update({env!r})
_plt.close("all")
del _os, _plt
"""


def with_reset(notebook: Path, cwd: str, env: dict):
    """The notebook with RESET (for the working folder `cwd` and the environment variables `env`) as its
    first cell."""
    import nbformat

    from .notebooks import RESET_TAG

    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(RESET.format(cwd=cwd, env=env), metadata={"tags": [RESET_TAG]}))
    return nb


def _kernel(reuse: bool):
    """A kernel manager for the next notebook: this worker's kept kernel when `reuse` and it is alive (its
    namespace reset), else a new one that papermill starts (in the notebook's folder)."""
    from jupyter_client.manager import KernelManager

    km = _KERNEL.get("km")
    if reuse and km is not None and km.is_alive():
        return km
    _shutdown()
    sockets = tempfile.mkdtemp(prefix="kernel-")  # IPC sockets: no TCP ports for parallel kernels to race for
    km = KernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "k"))
    _KERNEL.update(km=km, sockets=sockets)
    if not _KERNEL.get("finalizer"):  # the pool's workers end through multiprocessing's finalizers
        _KERNEL["finalizer"] = multiprocessing.util.Finalize(None, _shutdown, exitpriority=10)
    return km


def _shutdown() -> None:
    km, sockets = _KERNEL.pop("km", None), _KERNEL.pop("sockets", None)
    if km is not None and km.has_kernel:
        km.shutdown_kernel(now=True)
    if sockets:
        shutil.rmtree(sockets, ignore_errors=True)


def _run_code(km, code: str, what: str) -> None:
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)
        reply = kc.execute_interactive(code, silent=True, store_history=False, timeout=60)
    finally:
        kc.stop_channels()
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{what} failed: {reply['content'].get('evalue')}")


# Run in a worker's kernel when the worker starts, before its first notebook: what every notebook imports.
WARM_UP = "import followup.chapter"


def _imports() -> None:
    """What a worker needs for its notebooks (papermill, nbformat, followup.notebooks: about 0,4 s), imported
    when it starts. (This module imports none of it itself: a worker starts its kernel first.)"""
    import papermill  # noqa: F401

    from . import notebooks  # noqa: F401


def _start_worker(log_path: str, warm: bool) -> None:
    """A worker's start (the pool's initializer): the kernels' chatter goes to the run's log, not the
    terminal; with `warm`, the worker starts the kernel its first notebook will use and imports what the
    notebooks import (pandas, matplotlib, seaborn, the package), while the build still checks its inputs. The
    worker's own imports run while its kernel starts."""
    with open(log_path, "ab") as log_file:
        os.dup2(log_file.fileno(), 2)
    if not warm:
        _imports()
        return
    try:
        km = _kernel(reuse=True)
        km.start_kernel(cwd=_KERNEL["sockets"])
        _imports()
        _run_code(km, WARM_UP, "importing the package")
    except Exception as exc:  # the first notebook starts a kernel of its own, and fails loudly if that fails too
        _shutdown()
        say(f"warning: a kernel could not be started ahead of the notebooks ({type(exc).__name__}: {exc})")


def _started() -> None:
    """A task that does nothing: submitting it makes the pool start a worker now (see Pool.start)."""


def _run_once(job: dict, reuse: bool) -> None:
    import papermill as pm

    km = _kernel(reuse)
    notebook = with_reset(Path(job["input"]), job["cwd"], job.get("env", {})) if km.has_kernel else job["input"]
    try:
        pm.execute_notebook(
            notebook,
            job["output"],
            parameters=job["parameters"],
            cwd=job["cwd"],
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            km=km,
        )
    except pm.PapermillExecutionError as exc:
        if notebook is not job["input"]:
            exc.cell_index -= 1  # counted as in the notebook without the reset cell
        raise
    if not reuse:
        _shutdown()


def run_job(job: dict) -> tuple[str, float]:
    """Run one notebook with papermill (in a worker process). Returns (name, seconds). With job["reuse"],
    the worker's kernel (started with the worker) is kept for its next notebook (its namespace reset in
    between). job["env"]: environment variables of the run, for the kernels this worker starts from now on
    and (set by the reset cell) in its kept kernel."""
    from .notebooks import check_parameters, tidy_executed

    os.environ.update(job.get("env", {}))
    logging.getLogger("papermill").setLevel(logging.WARNING)
    check_parameters(Path(job["template"]), job["kind"])  # papermill only warns about an unknown parameter
    if job.get("announce", True):
        say(f"  {job['name']:<28} started")
    start = time.monotonic()
    for attempt in (1, 2):
        try:
            _run_once(job, job.get("reuse", False))
            break
        except RuntimeError as exc:
            _shutdown()  # a failed notebook leaves no kernel behind to be reused
            if attempt == 1 and "before replying to kernel_info" in str(exc):
                continue  # a kernel that dies while starting is started once more
            raise _failure(job, exc) from None
        except Exception as exc:  # a failing cell, a kernel that died, an unreadable notebook, ...
            _shutdown()
            raise _failure(job, exc) from None
    tidy_executed(Path(job["output"]))
    return job["name"], time.monotonic() - start


class Pool:
    """Worker processes that execute notebooks, kept for the run (so is each worker's kernel, with `reuse`:
    it starts with the worker, and the overview runs in a kernel the goal areas warmed up). Each worker is an
    executor of one process of its own, so that the pool decides which worker runs what: a worker starts when
    a notebook needs it, or ahead of time with `start` (`when_ready` then calls back once they are ready), and
    never beside a started worker that can take the notebook. `run` executes a batch; the first failure (or
    Ctrl-C) stops the run at once, without waiting for the notebooks still running. The kernels' output goes
    to `log`; they inherit this process's environment (followup.execute.kernel_environment)."""

    def __init__(self, workers: int, log: Path, reuse: bool = True):
        self.workers = workers
        self.log = str(log)
        self.reuse = reuse
        self.lanes: list[ProcessPoolExecutor] = []  # one per worker, in the order they started
        self.starting: list = []  # the futures of `start`: done when its workers are ready

    def _lane(self) -> ProcessPoolExecutor:
        # "spawn": a worker starts fresh instead of forking this process, so it does not inherit its open files
        # (a forked worker would hold the run lock after this process was killed).
        lane = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self.log, self.reuse),
        )
        self.lanes.append(lane)
        return lane

    def start(self, count: int) -> None:
        """Start `count` workers now (each with its kernel, with `reuse`), before their notebooks are known."""
        while len(self.lanes) < min(count, self.workers):
            self.starting.append(self._lane().submit(_started))

    def when_ready(self, callback) -> None:
        """Call `callback()` once, when every worker `start` started is ready (its kernel warmed up, or failed
        to); at once when none was started. It may run in a thread of the pool's."""
        pending = [f for f in self.starting if not f.done()]
        if not pending:
            callback()
            return
        lock = threading.Lock()

        def one_ready(_future) -> None:
            with lock:
                pending.pop()
                last = not pending
            if last:
                callback()

        for f in list(pending):
            f.add_done_callback(one_ready)

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        self.close(ok=kind is None)

    def close(self, ok: bool = True) -> None:
        """Let the workers end (their kernels with them) while the run goes on; after a failure the caller
        stops every process of the run. (The executors' threads join them, at the latest when Python exits.)"""
        for lane in self.lanes:
            lane.shutdown(wait=False, cancel_futures=not ok)

    def run(self, jobs: list[dict], on_done=None, reused: int = 0) -> None:
        """Execute the notebooks in parallel, each on the first worker free (the workers started first
        first; more start while there are more notebooks than workers, up to `workers`). `on_done(name)` is
        called in this process as each finishes. On a terminal a progress bar counts them (`reused`: how many
        the caller took from the cache); elsewhere each finished notebook gets a line."""
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc="notebooks", unit="nb", disable=None, leave=False)
        if not bar.disable:
            jobs = [{**job, "announce": False} for job in jobs]
            bar.set_postfix_str(f"{reused} reused from the cache")
        try:
            for name, secs in self._finished(jobs):
                if on_done is not None:
                    on_done(name)
                bar.update()
                if bar.disable:
                    log.info(f"  {name:<28} finished in {fmt.number(secs, 1)} s")
        finally:
            bar.close()

    def _finished(self, jobs: list[dict]):
        """Run the jobs; yields (name, seconds) as each finishes, and raises the first failure."""
        todo = list(jobs)
        running: dict = {}  # future: (worker, name)

        def submit(lane: ProcessPoolExecutor) -> None:
            job = todo.pop(0)
            running[lane.submit(run_job, job)] = (lane, job["name"])

        while len(self.lanes) < min(len(todo), self.workers):
            self._lane()
        for lane in self.lanes[: len(todo)]:
            submit(lane)
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in sorted(done, key=lambda f: running[f][1]):
                lane, _ = running.pop(f)
                if f.exception() is not None:
                    raise f.exception()
                if todo:
                    submit(lane)
                yield f.result()
