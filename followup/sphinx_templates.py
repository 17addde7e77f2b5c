"""A small Sphinx extension: the theme's Jinja templates are compiled once, not in every build.

Sphinx compiles every HTML template it renders (the pydata and book themes use about forty) in each build:
a few tenths of a second of every incremental build, in both of the book's builds. Jinja's bytecode cache keeps the
compiled templates between builds, in the book's own build folder (`_build/.jinja/`, beside Sphinx's saved
state); an entry is keyed by the template's name and source, so a changed template is compiled again.
"""

from __future__ import annotations

from pathlib import Path


def cache_compiled_templates(app) -> None:
    templates = getattr(app.builder, "templates", None)
    environment = getattr(templates, "environment", None)
    if environment is None:  # a builder without HTML templates
        return
    import jinja2

    folder = Path(app.doctreedir).parent / ".jinja"
    folder.mkdir(parents=True, exist_ok=True)
    environment.bytecode_cache = jinja2.FileSystemBytecodeCache(str(folder))


def setup(app):
    app.connect("builder-inited", cache_compiled_templates)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
