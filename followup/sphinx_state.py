"""A small Sphinx extension: a build tells the run when it has read the changed pages and saved Sphinx's state,
before it writes its output.

The website and the single page are built from the same pages and the same saved state (followup.steps._books):
the single page's build reads what changed, and the website's build, which then has nothing to read, can start
as soon as that state is saved, beside the single page's writing. The run passes the write end of a pipe in
FOLLOWUP_STATE_FD (followup.jupyter_book_cli.Builder); without it the extension does nothing.
"""

from __future__ import annotations

import contextlib
import os

from .constants import SPHINX_STATE_FD


def state_saved(app, builder) -> None:
    # "write-started" comes after Sphinx has saved its state (when a page was read) and before any output
    fd = os.environ.pop(SPHINX_STATE_FD, None)
    if fd is not None:
        with contextlib.suppress(BrokenPipeError):  # nobody waits for it any more
            os.write(int(fd), b"saved\n")
        os.close(int(fd))


def setup(app):
    app.connect("write-started", state_saved)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
