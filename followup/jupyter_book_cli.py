"""`jupyter-book` as the build runs it: `python -m followup.jupyter_book_cli build ...`, the same command line.

Two differences, both about time:

- jupyter-book imports jsonschema, which imports `rfc3987_syntax` when it is installed (JupyterLab installs
  it) and compiles its grammars: about 2 s in every build of the book, for an IRI format check the book's
  configuration never uses. Importing this module (inside the package `followup`) runs
  followup/__init__.py, which keeps it from being loaded.
- `--wait` starts the process ahead of time: it imports jupyter-book, Sphinx and the book's extensions
  (about 2 s), then waits for its command line as one JSON list on stdin (an empty line: exit). The build
  starts its two book builders this way while it still executes notebooks, and hands them the book when it
  is ready (followup.book.Builder). `--nice N` first lowers the process's priority by N (the website, built
  while the single page is built and printed: on two cores, the PDF's path goes first).
"""

import importlib
import json
import os
import sys

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
]


def preimport() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # not installed in this version: the build imports what it needs itself


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
