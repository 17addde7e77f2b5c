"""Interrupts, killed runs, concurrent runs and a build without network: the last report and the data
survive, and nothing is left running."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from followup.runs import MARKER, RunLock, kill_run_processes, recover, run_processes

from conftest import REPO, log_lines, make_project, tree_hash
from kolada_server import FakeKolada

pytestmark = pytest.mark.slow


@pytest.fixture
def project(tmp_path, example_dataset):
    p = make_project(tmp_path / "p", example_dataset)
    (p / "_build" / "html").mkdir(parents=True)
    (p / "_build" / "html" / "index.html").write_text("<p>Förra rapporten</p>", encoding="utf-8")
    return p


def start(project, *args, env=None):
    return subprocess.Popen(
        [sys.executable, "-u", str(REPO / "run_all.py"), *args, "--project", str(project)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(proc, text, timeout=120):
    """Read the run's output until a line contains `text` (the readiness signal); return what was read."""
    seen, deadline = [], time.monotonic() + timeout
    for line in proc.stdout:
        seen.append(line)
        if text in line:
            return seen
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"never saw {text!r}: {''.join(seen)}")


def processes_of(pid: int) -> list[int]:
    """Processes whose environment marks them as belonging to the run of process `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                env = (entry / "environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(e.startswith(f"{MARKER}=run-".encode()) and e.endswith(f"-{pid}".encode()) for e in env):
                found.append(int(entry.name))
    return found


def gone(pid: int, timeout=15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes_of(pid):
            return True
        time.sleep(0.2)
    return False


def test_ctrl_c_during_a_build(project):
    before = tree_hash(project / "data", project / "_build")
    proc = start(project, "build", "--no-pdf")
    wait_for(proc, "started")  # a notebook is executing: kernels are running
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in out + err
    assert gone(proc.pid), "processes of the interrupted run are still running"
    assert tree_hash(project / "data", project / "_build") == before
    assert not list((project / ".staging").glob("run-*"))


def test_ctrl_c_during_a_fetch(project, example_dataset):
    with FakeKolada(example_dataset) as server:
        env = dict(os.environ, KOLADA_BASE_URL=server.url)
        first = start(project, "fetch", "--year", "2025", env=env)
        assert first.wait(timeout=120) == 0
        before = tree_hash(project / "data")
        server.delay = 0.5
        proc = start(project, "fetch", "--year", "2025", env=env)
        wait_for(proc, "page 1")  # requests are being answered
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert tree_hash(project / "data") == before
    assert not list((project / "data").glob(".kolada.*"))


def test_a_killed_build_is_cleaned_up_by_the_next(project):
    before = tree_hash(project / "data", project / "_build")
    proc = start(project, "build", "--no-pdf")
    wait_for(proc, "started")
    proc.kill()
    proc.wait(timeout=30)
    assert tree_hash(project / "data", project / "_build") == before  # nothing was half-published
    assert list((project / ".staging").glob("run-*"))  # what the killed run left
    nxt = start(project, "build", "--no-pdf", "--areas", "skolan")
    out, err = nxt.communicate(timeout=300)
    assert nxt.returncode == 0, err
    assert "left by a run that was killed" in out
    assert gone(proc.pid)
    assert not list((project / ".staging").glob("run-*"))
    assert (project / "_build" / "html" / "chapters" / "skolan.html").exists()


def test_recover_restores_what_a_killed_swap_left(tmp_path):
    (tmp_path / "._build.old-1-2" / "html").mkdir(parents=True)  # a build killed between its renames
    (tmp_path / "._build.old-1-2" / "html" / "index.html").write_text("last report")
    (tmp_path / "data" / ".kolada.old-7-100").mkdir(parents=True)  # a fetch killed between its renames
    (tmp_path / "data" / ".kolada.old-7-100" / "values.csv").write_text("snapshot")
    (tmp_path / "data" / ".kolada.new-7-90").mkdir()
    (tmp_path / "data" / "example" / "local").mkdir(parents=True)  # killed before removing the old
    (tmp_path / "data" / "example" / ".local.old-8-100").mkdir()
    (tmp_path / "reports" / ".2025.old-9-100").mkdir(parents=True)  # a publish killed between its renames
    (tmp_path / "reports" / ".2025.old-9-100" / "manifest.json").write_text("published")
    (tmp_path / "reports" / ".2024.new-9-50").mkdir()  # a publish killed while copying
    with log_lines() as lines:
        recover(tmp_path)
    assert (tmp_path / "_build" / "html" / "index.html").read_text() == "last report"
    assert (tmp_path / "data" / "kolada" / "values.csv").read_text() == "snapshot"
    assert (tmp_path / "reports" / "2025" / "manifest.json").read_text() == "published"
    assert not (tmp_path / "reports" / "2024").exists()
    for folder in (tmp_path, tmp_path / "data", tmp_path / "data" / "example", tmp_path / "reports"):
        assert not [p.name for p in folder.glob(".*.*-*")], folder
    assert lines == [
        "restored _build/ (a previous report build was killed while replacing it)",
        "restored data/kolada/ (a previous fetch was killed while replacing it)",
        "restored reports/2025/ (a previous publish was killed while replacing it)",
    ]


def test_a_second_run_refuses_at_once_or_waits(project):
    with RunLock(project, "test run"):
        started = time.monotonic()
        refused = start(project, "build", "--no-pdf")
        out, err = refused.communicate(timeout=60)
        assert refused.returncode == 1 and time.monotonic() - started < 30
        assert "a test run (process" in err and "is in progress in this folder" in err and "--wait" in err
        waiting = start(project, "build", "--no-pdf", "--areas", "skolan", "--wait")
        time.sleep(3)
        assert waiting.poll() is None  # still waiting for the lock
        assert not list((project / ".staging").glob("run-*"))  # and has not started any work
    out, err = waiting.communicate(timeout=300)
    assert waiting.returncode == 0, err
    assert (project / "_build" / "html" / "chapters" / "skolan.html").exists()


def _can_unshare() -> str | None:
    if shutil.which("unshare") is None:
        return "the command unshare (util-linux) is not installed"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"this machine forbids network namespaces ({probe.stderr.strip() or probe.returncode})"
    return None


def test_build_without_network(project):
    reason = _can_unshare()
    if reason:
        pytest.skip(reason)
    probe = subprocess.run(["unshare", "-n", "cat", "/proc/net/dev"], capture_output=True, text=True)
    assert "eth" not in probe.stdout  # only loopback inside
    proc = subprocess.run(
        [
            "unshare",
            "-n",
            sys.executable,
            str(REPO / "run_all.py"),
            "build",
            "--areas",
            "skolan,miljo",
            "--project",
            str(project),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (project / "_build" / "pdf" / "arsuppfoljning-2025.pdf").exists()


def test_run_processes_finds_and_ends_a_run_s_processes():
    run_id = f"run-test-{os.getpid()}"
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], env=dict(os.environ, **{MARKER: run_id})
    )
    try:
        deadline = time.monotonic() + 10
        while child.pid not in run_processes(run_id) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run_processes(run_id) == [child.pid]
        assert run_processes(f"{run_id}-other") == []
        kill_run_processes(run_id)
        assert child.wait(timeout=10) == -signal.SIGKILL
        assert run_processes(run_id) == []
    finally:
        child.kill()
        child.wait()
