"""followup: the logic behind Borlänge kommun's annual follow-up of its strategic plan.

The package in layers; a module imports only from the layers above it and from modules before it in its own
line (no import runs back up; a test checks that the import graph has no cycle):

    constants, errors, fmt, swap,       leaves: shared names (verdicts, trend years), error types, Swedish
    statuses, layout, fingerprint       numbers, replacing a folder atomically (and recovering a killed swap),
                                        Kolada's value statuses in Swedish; where things are and the one list
                                        of a build's input files; the no-change check (standard library only)
    plan                                the plan file: data/plan.schema.json (jsonschema) and the rules across fields
    status                              the report's status file (data/status.yml): Utkast or Fastställd
    data                                data sets (Kolada snapshots, example data, local indicators): loading, checks
    analysis, assessment, commentary    series, peer means, ranks; verdicts by rule, roll-up, direction of
                                        travel; the analysts' texts and overrides
    results                             a goal area's results document (computed once, in its notebook), and the
                                        results files and downloads made from the documents
    summary                             the start page's summary from the documents, and last year's results
    figures                             trend and cumulative charts (SVG) with alt text, caption and source
    chapter                             what the notebooks call: load, analyse and record, show; the overview
    notebooks, toc                      the template's rendering and parameters, tidying executed notebooks; the
                                        table of contents
    inputs                              what a build reads, validated once, and its copy for a run
    cache                               the executed notebooks' cache, keyed by what each notebook reads
    book, execute, pdf, manifest,       the book's assembly (config, pages, appendix, print CSS); papermill in
    jupyter_book_cli                    parallel; Chromium's print; the build manifest; `jupyter-book` as the
                                        build starts it (one process started ahead of time for the book's builds)
    runs                                one run at a time, interrupts, clean-up after a killed run
    steps, build                        the steps of a build in its staging folder (execute, assemble, print);
                                        the build's orchestration: one run at a time, the processes it starts
                                        before it imports pandas, the inputs' check, the swap into _build/
    verify, publish                     prove a report from its manifest; archive it in reports/<year>/
    kolada, fetch                       the Kolada v3 client, and fetching a snapshot with what changed
    example_data, lab                   the example data generator; `make lab` (JupyterLab for the analysts)
    sphinx_anchors, sphinx_offline,     small Sphinx extensions (slug anchors; no other hosts; the same page from
    sphinx_stable, sphinx_a11y,         a cold and an incremental build; the website's accessibility; the
    sphinx_print, sphinx_templates,     single page without what is only for the screen; templates compiled once;
    sphinx_numref                       a page's doctree read once for all the {numref}s to it)
"""

import sys

# jsonschema (imported by nbformat, papermill, jupyter-book and followup.plan) imports every optional format
# checker it can find. rfc3987_syntax (installed for JupyterLab's jupyter-events) builds a grammar when
# imported: about 2 s in every kernel, worker and command. Nothing here checks IRI formats: an absent module
# makes jsonschema skip that check. Set before any of our modules imports jsonschema.
sys.modules.setdefault("rfc3987_syntax", None)
