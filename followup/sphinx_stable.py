"""A small Sphinx extension: a page is written the same by a cold build and by an incremental one.

myst-nb copies its stylesheet (`_static/mystnb.<hash>.css`) into the output when the build has finished,
after the pages are written. Sphinx gives a stylesheet link a `?v=<checksum>` when the file is already in
the output, so a cold build wrote the link without it and a later, incremental build with it: the same page,
different bytes. Copying the stylesheet before any page is written makes every build write the same link.
"""

from __future__ import annotations

from pathlib import Path


def copy_mystnb_css(app) -> None:
    if app.builder is not None and app.builder.format == "html":
        from myst_nb.sphinx_ext import add_global_html_resources

        (Path(app.builder.outdir) / "_static").mkdir(parents=True, exist_ok=True)
        add_global_html_resources(app, None)


def setup(app):
    app.connect("builder-inited", copy_mystnb_css, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
