"""The notebooks' worker pool (followup.execute.Pool): which workers start, and what a kept kernel is given."""

from __future__ import annotations

import threading

import nbformat
import pytest

from followup import execute
from followup.notebooks import NOTEBOOK_PARAMETERS

# What the probe notebook writes into its working folder: the run's environment variable and the folder it ran in.
PROBE = """\
import os, pathlib
pathlib.Path("probe.txt").write_text(f"{os.environ.get('SOURCE_DATE_EPOCH')} {os.getcwd()}")
"""


def probe_notebook(path):
    nb = nbformat.v4.new_notebook()
    names = sorted(NOTEBOOK_PARAMETERS["overview"])
    nb.cells = [
        nbformat.v4.new_code_cell("\n".join(f"{n} = None" for n in names), metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(PROBE),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def probe_job(tmp_path, template, name, epoch):
    folder = tmp_path / "nb" / name
    folder.mkdir(parents=True)
    parameters = {n: None for n in NOTEBOOK_PARAMETERS["overview"]}
    return {
        "name": name,
        "input": str(template),
        "template": str(template),
        "kind": "overview",
        "parameters": parameters,
        "output": str(folder / f"{name}.ipynb"),
        "cwd": str(folder),
        "announce": False,
        "reuse": True,
        "env": {"SOURCE_DATE_EPOCH": epoch},
    }


@pytest.mark.slow
def test_a_worker_started_ahead_takes_the_notebooks_and_no_other_starts(tmp_path, monkeypatch):
    """One worker started ahead of time (its kernel warmed up) runs a batch of one notebook, then the next
    batch in its kept kernel: no second worker starts beside it. The callback comes once, when it is ready.
    Each notebook runs in its own folder with the run's environment, which the workers did not have when they
    started; a batch of more notebooks than workers starts more workers, up to the limit."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    template = probe_notebook(tmp_path / "probe.ipynb")
    ready = threading.Event()
    calls = []
    with execute.Pool(2, tmp_path / "kernels.log", reuse=True) as pool:
        pool.start(1)
        pool.when_ready(lambda: (calls.append(1), ready.set()))
        assert ready.wait(120) and calls == [1]
        pool.run([probe_job(tmp_path, template, "a", "1000")])
        assert len(pool.lanes) == 1
        pool.run([probe_job(tmp_path, template, "b", "2000")])
        assert len(pool.lanes) == 1
        pool.run([probe_job(tmp_path, template, n, "3000") for n in ("c", "d", "e")])
        assert len(pool.lanes) == 2
    for name, epoch in [("a", "1000"), ("b", "2000"), ("c", "3000"), ("d", "3000"), ("e", "3000")]:
        folder = tmp_path / "nb" / name
        assert (folder / "probe.txt").read_text() == f"{epoch} {folder}"
    assert calls == [1]


def test_when_ready_calls_back_at_once_when_no_worker_was_started(tmp_path):
    calls = []
    pool = execute.Pool(2, tmp_path / "kernels.log")
    pool.when_ready(lambda: calls.append(1))
    assert calls == [1] and pool.lanes == []
    pool.close()


@pytest.mark.slow
def test_a_fresh_kernel_gets_the_runs_environment_too(tmp_path, monkeypatch):
    """Without the cache (`make verify`, --no-cache) each notebook runs in a fresh kernel, started by its
    worker: it gets the run's environment from the job as a kept kernel does."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    template = probe_notebook(tmp_path / "probe.ipynb")
    with execute.Pool(1, tmp_path / "kernels.log", reuse=False) as pool:
        pool.run(
            [
                {**probe_job(tmp_path, template, name, epoch), "reuse": False}
                for name, epoch in [("a", "1000"), ("b", "2000")]
            ]
        )
    for name, epoch in [("a", "1000"), ("b", "2000")]:
        folder = tmp_path / "nb" / name
        assert (folder / "probe.txt").read_text() == f"{epoch} {folder}"
