"""A small Sphinx extension: a {numref} reads its target page's saved doctree once per build, not once per
reference.

To resolve a {numref}, Sphinx's standard domain unpickles the whole saved doctree of the target's page, only to
look up the target node and its type. The appendix has one {numref} per figure and table of every chapter
(about 40), so each build of it unpickled the chapters' doctrees again and again: about 0,5 s of the
website's build and 0,3 s of the single page's. Here the standard domain resolves a {numref} with one copy per
page, read once in the build and only read from (the number comes from the environment's figure numbers, as
before); every other reader of a doctree still gets a fresh copy of its own.
"""

from __future__ import annotations

from sphinx.domains.std import StandardDomain


class _OnceEnvironment:
    """The build environment as a {numref}'s resolution sees it: `get_doctree` hands out one copy per page,
    kept in `copies`; everything else is the environment's."""

    def __init__(self, env, copies: dict):
        self._env = env
        self._copies = copies

    def get_doctree(self, docname: str):
        if docname not in self._copies:
            self._copies[docname] = self._env.get_doctree(docname)
        return self._copies[docname]

    def __getattr__(self, name):
        return getattr(self._env, name)


class NumrefOnceDomain(StandardDomain):
    """The standard domain, resolving each {numref} with the copies of `_OnceEnvironment`."""

    _copies: dict | None = None

    def _resolve_numref_xref(self, env, fromdocname, builder, typ, target, node, contnode):
        if self._copies is None:
            self._copies = {}  # (each build has domains of its own, used after the pages are read: current)
        once = _OnceEnvironment(env, self._copies)
        return super()._resolve_numref_xref(once, fromdocname, builder, typ, target, node, contnode)


def setup(app):
    app.add_domain(NumrefOnceDomain, override=True)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
