"""`jupyter-book` as the build runs it: `python -m followup.jupyter_book_cli build ...`, the same command line.

Two differences, both about time:

- jupyter-book imports jsonschema, which imports `rfc3987_syntax` when it is installed (JupyterLab installs
  it) and compiles its grammars: about 2 s in every build of the book, for an IRI format check the book's
  configuration never uses. Importing this module (inside the package `followup`) runs
  followup/__init__.py, which keeps it from being loaded.
- `--wait` starts the process ahead of time: it imports jupyter-book, Sphinx and the book's extensions
  (about 2 s), then waits for its command line as one JSON list on stdin (an empty line: exit). The build
  starts its two book builders this way while it still executes notebooks, and hands them the book when it
  is ready (`Builder`, below). `--nice N` first lowers the process's priority by N (the website, built
  while the single page is printed: on two cores, the PDF's path goes first).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from .constants import SPHINX_STATE_FD
from .errors import BuildError, without_ansi

# What a build of the book imports (extensions are loaded by name: once imported, loading them is free).
MODULES = [
    "jupyter_book.cli.main",
    "jupyter_book.sphinx",
    "sphinx.application",
    "sphinx.builders.html",
    "sphinx.builders.singlehtml",
    "sphinx.search.sv",
    "myst_parser.sphinx_ext.main",
    "myst_nb.sphinx_ext",
    "jupyter_cache",
    "sphinx_book_theme",
    "pydata_sphinx_theme",
    "sphinx_design",
    "sphinx_external_toc",
    "sphinx_togglebutton",
    "sphinx_copybutton",
    "sphinx_comments",
    "sphinx_thebe",
    "sphinx_multitoc_numbering",
    "sphinx_jupyterbook_latex",
    "followup.sphinx_anchors",
    "followup.sphinx_offline",
    "followup.sphinx_a11y",
    "followup.sphinx_stable",
    "followup.sphinx_print",
    "followup.sphinx_templates",
    "followup.sphinx_numref",
    "followup.sphinx_state",
]


def preimport() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not installed in this version: the build imports what it needs itself
    # The theme reads its navigation with CSS selectors (BeautifulSoup's soupsieve), whose parser compiles its
    # regular expressions at its first selector: about 0,25 s of every build, done here ahead of time.
    with contextlib.suppress(ImportError):
        import soupsieve

        soupsieve.compile("li.toctree-l1 > details, .toc-h1")


def _arguments(book: Path, builder: str) -> list[str]:
    return ["build", str(book), "--builder", builder, "-W", "-n", "--keep-going", "-q"]


def _failed(book: Path, builder: str, output: str) -> BuildError:
    # Start the next build of this book from nothing rather than from a state a failed build left.
    shutil.rmtree(book / "_build", ignore_errors=True)
    out = without_ansi(output)
    lines = [line for line in out.splitlines() if "WARNING" in line or "ERROR" in line or "Error" in line]
    shown = (lines or out.splitlines()[-20:])[:40]
    return BuildError(f"jupyter-book build ({builder}) failed:\n" + "\n".join(shown))


class Builder:
    """A jupyter-book build with one Sphinx builder (html, singlehtml) in a process started ahead of time
    (`launch`, about 2 s of imports): it imports jupyter-book and Sphinx while the run still has other work,
    and builds when `start` hands it the book (followup.jupyter_book_cli --wait; with `nice`, at a lower
    priority). Any Sphinx warning fails the build. Sphinx keeps its state in book/_build/: a page whose file
    did not change is not read again."""

    def __init__(self, builder: str, nice: int = 0):
        self.builder = builder
        self.nice = nice
        self.book: Path | None = None
        self.log = tempfile.TemporaryFile()
        self.proc: subprocess.Popen | None = None
        self._lock = threading.Lock()  # `launch` may come from another thread (followup.execute.Pool.when_ready)
        self._stopped = False
        self._state: int | None = None  # a pipe's read end: the build says when its state is saved

    def launch(self) -> Builder:
        """Start the process (once), to import while the run does other work. (Not after `stop`.)"""
        with self._lock:
            if self.proc is None and not self._stopped:
                nice = ["--nice", str(self.nice)] if self.nice else []
                cmd = [sys.executable, "-m", "followup.jupyter_book_cli", *nice, "--wait"]
                self._state, saying = os.pipe()
                try:
                    self.proc = subprocess.Popen(
                        cmd,
                        stdin=subprocess.PIPE,
                        stdout=self.log,
                        stderr=subprocess.STDOUT,
                        pass_fds=(saying,),
                        env={**os.environ, SPHINX_STATE_FD: str(saying)},
                    )
                finally:
                    os.close(saying)
        return self

    def start(self, book: Path) -> Builder:
        self.launch()
        self.book = book
        self.proc.stdin.write((json.dumps(_arguments(book, self.builder)) + "\n").encode("utf-8"))
        self.proc.stdin.close()
        return self

    def state_saved(self) -> None:
        """Wait until the build has read the pages that changed and saved Sphinx's state, or has ended (then
        `result` says how): another build of the same book can start, with nothing to read
        (followup.sphinx_state)."""
        if self._state is not None:
            os.read(self._state, 64)  # "saved", or nothing when the process ended without saying so
            self._close_state()

    def _close_state(self) -> None:
        if self._state is not None:
            os.close(self._state)
            self._state = None

    def result(self) -> Path:
        """Wait for the build; its output folder, or BuildError with Sphinx's warnings."""
        self._close_state()
        code = self.proc.wait()
        self.log.seek(0)
        output = self.log.read().decode("utf-8", "replace")
        self.log.close()
        if code != 0:
            raise _failed(self.book, self.builder, output)
        return self.book / "_build" / self.builder

    def stop(self) -> None:
        """End the process if it is still there (a run that failed, or a builder never used)."""
        with self._lock:
            self._stopped = True
        self._close_state()
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            if not self.proc.stdin.closed:
                self.proc.stdin.close()
        self.log.close()


def jupyter_book(book: Path, builder: str) -> Path:
    """Build the book with one Sphinx builder and wait for it (see Builder)."""
    b = Builder(builder)
    try:
        return b.start(book).result()
    finally:
        b.stop()


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["--nice"]:  # a lower priority: this build is not the one the run waits for
        os.nice(int(args[1]))
        args = args[2:]
    if args == ["--wait"]:
        preimport()
        line = sys.stdin.readline()
        if not line.strip():
            sys.exit(0)
        args = json.loads(line)
    from jupyter_book.cli.main import main

    sys.argv = ["jupyter-book", *args]
    sys.exit(main())
