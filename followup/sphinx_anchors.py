"""A small Sphinx extension: every section anchor of a goal-area chapter carries the goal area's slug.

Ten chapters come from one template, so their headings ("Mål", "Indikatorer", ...) are the same and
docutils would give their sections the same ids ("#mal"). In the single-page build that the PDF is made
from, those would collide. The template labels its headings `(<slug>-mal)=`; this extension keeps only
those slug ids on a chapter's sections, and prefixes any other section id with the slug.
"""

from __future__ import annotations

from docutils import nodes

CHAPTER_PREFIX = "chapters/"


def slug_section_ids(app, doctree) -> None:
    docname = app.env.docname
    if not docname.startswith(CHAPTER_PREFIX):
        return
    slug = docname[len(CHAPTER_PREFIX) :]
    for section in doctree.findall(nodes.section):
        own = [i for i in section["ids"] if i == slug or i.startswith(slug + "-")]
        section["ids"] = own or [f"{slug}-{i}" for i in section["ids"]]


def setup(app):
    # Before Sphinx's collectors (priority 500) read the ids for the tables of contents.
    app.connect("doctree-read", slug_section_ids, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
