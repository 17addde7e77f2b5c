"""`jupyter-book` as the build runs it: `python -m followup.jupyter_book_cli build ...`, the same command line.

Two differences, both about time:

- jupyter-book imports jsonschema, which imports `rfc3987_syntax` when it is installed (JupyterLab installs
  it) and compiles its grammars: about 2 s in every build of the book, for an IRI format check the book's
  configuration never uses. Importing this module (inside the package `followup`) runs
  followup/__init__.py, which keeps it from being loaded.
- `--wait FD` starts the process ahead of time: it imports jupyter-book, Sphinx and the book's extensions
  (about 1,5 s of CPU), then waits for its builds as one JSON line on stdin (an empty line: exit): a list of
  {"args": command line, "nice": N}. It runs them one after the other (each first lowering the process's
  priority by its N), writes each one's exit status as a line to the file descriptor FD as soon as it has
  ended, and stops at the first that fails. The run starts its book builds this way while it still executes
  notebooks, and hands them the book when it is ready (`Builder`, below).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

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


def _failed(book: Path, builder: str, output: str, what: str = "failed") -> BuildError:
    # Start the next build of this book from nothing rather than from a state a failed build left.
    shutil.rmtree(book / "_build", ignore_errors=True)
    out = without_ansi(output)
    lines = [line for line in out.splitlines() if "WARNING" in line or "ERROR" in line or "Error" in line]
    shown = (lines or out.splitlines()[-20:])[:40]
    return BuildError(f"jupyter-book build ({builder}) {what}:\n" + "\n".join(shown))


class Builder:
    """jupyter-book builds of one book, one Sphinx builder after the other (for the report: the single page,
    then the website), in one process started ahead of time (`launch`): it imports jupyter-book and Sphinx
    once while the run still has other work, and builds when `start` hands it the book. `result(builder)`
    waits for one build; the next one runs meanwhile (with `nice[builder]`, at a lower priority). Any Sphinx
    warning fails a build. Sphinx keeps its state in book/_build/: a page whose file did not change is not read
    again, and a later build of the same book reads nothing the one before it has read."""

    def __init__(self, builders: list[str], nice: dict[str, int] | None = None):
        self.builders = list(builders)
        self.nice = nice or {}
        self.book: Path | None = None
        self.log = tempfile.TemporaryFile()
        self.proc: subprocess.Popen | None = None
        self._lock = threading.Lock()  # `launch` may come from another thread (followup.execute.Pool.when_ready)
        self._stopped = False
        self._statuses: io.BufferedReader | None = None  # each build's exit status, a line as it ends
        self._ended: dict[str, int] = {}

    def launch(self) -> Builder:
        """Start the process (once), to import while the run does other work. (Not after `stop`.)"""
        with self._lock:
            if self.proc is None and not self._stopped:
                reading, writing = os.pipe()
                try:
                    cmd = [sys.executable, "-m", "followup.jupyter_book_cli", "--wait", str(writing)]
                    self.proc = subprocess.Popen(
                        cmd, stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT, pass_fds=(writing,)
                    )
                except BaseException:
                    os.close(reading)
                    raise
                finally:
                    os.close(writing)
                self._statuses = os.fdopen(reading, "rb")
        return self

    def start(self, book: Path) -> Builder:
        self.launch()
        self.book = book
        builds = [{"args": _arguments(book, b), "nice": self.nice.get(b, 0)} for b in self.builders]
        self.proc.stdin.write((json.dumps(builds) + "\n").encode("utf-8"))
        self.proc.stdin.close()
        return self

    def _read_statuses(self, until: str | None = None) -> None:
        while until not in self._ended:
            line = self._statuses.readline()
            if not line:  # the process has ended
                return
            self._ended[self.builders[len(self._ended)]] = int(line)

    def result(self, builder: str) -> Path:
        """Wait for this builder's build; its output folder, or BuildError with Sphinx's warnings."""
        self._read_statuses(until=builder)
        code = self._ended.get(builder)
        if code != 0:
            self.proc.wait()
            self.log.seek(0)
            output = self.log.read().decode("utf-8", "replace")
            if code is None:  # an earlier build failed, or the process died
                raise _failed(self.book, builder, output, "did not finish")
            raise _failed(self.book, builder, output)
        return self.book / "_build" / builder

    def stop(self) -> None:
        """End the process if it is still there (a run that failed, or builds never used); the output of a build
        it stopped is removed."""
        with self._lock:
            self._stopped = True
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
                self._read_statuses()
                # A build stopped while it wrote leaves pages that look current to the next one: they go.
                for builder in self.builders if self.book is not None else ():
                    if builder not in self._ended:
                        shutil.rmtree(self.book / "_build" / builder, ignore_errors=True)
            if not self.proc.stdin.closed:
                self.proc.stdin.close()
        if self._statuses is not None:
            self._statuses.close()
        self.log.close()


def jupyter_book(book: Path, builder: str) -> Path:
    """Build the book with one Sphinx builder and wait for it (see Builder)."""
    b = Builder([builder])
    try:
        return b.start(book).result(builder)
    finally:
        b.stop()


def _build(args: list[str]) -> int:
    from jupyter_book.cli.main import main

    sys.argv = ["jupyter-book", *args]
    try:
        main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return 0


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] != ["--wait"]:
        sys.exit(_build(args))
    statuses = int(args[1])
    preimport()
    line = sys.stdin.readline()
    code = 0
    for build in json.loads(line) if line.strip() else []:
        if build.get("nice"):
            os.nice(build["nice"])
        code = _build(build["args"])
        os.write(statuses, f"{code}\n".encode())
        if code != 0:
            break
    sys.exit(code)
