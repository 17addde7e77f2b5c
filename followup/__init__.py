"""followup: the logic behind Borlänge kommun's annual follow-up of its strategic plan.

The package in layers; a module imports only from the layers above it and from modules before it in its own
line (no import runs back up; a test checks that the import graph has no cycle):

    constants, errors, fmt, swap,       leaves: shared names (verdicts, trend years), error types, Swedish
    statuses                            numbers, replacing a folder atomically (and recovering a killed swap),
                                        Kolada's value statuses in Swedish
    plan                                the plan file: data/plan.schema.json (jsonschema) and the rules across fields
    data                                data sets (Kolada snapshots, example data, local indicators): loading, checks
    analysis, assessment, commentary    series, peer means, ranks; verdicts by rule, roll-up, direction of
                                        travel; the analysts' texts and overrides
    results                             a goal area's results document (computed once, in its notebook), and the
                                        results files and downloads made from the documents
    figures                             trend and cumulative charts (SVG) with alt text, caption and source
    chapter                             what the notebooks call: load, analyse and record, show; the overview
    notebooks, toc                      the template's rendering and parameters, tidying executed notebooks; the
                                        table of contents
    inputs                              the one list of what a build reads, its validation and its copy for a run
    book, execute, pdf, manifest        the book's assembly (config, pages, appendix, print CSS); papermill in
                                        parallel; Chromium's print; the build manifest
    runs                                one run at a time, interrupts, clean-up after a killed run
    build                               the build's orchestration: validate, execute, assemble, swap into _build/
    verify, publish                     prove a report from its manifest; archive it in reports/<year>/
    kolada, fetch                       the Kolada v3 client, and fetching a snapshot with what changed
    example_data, lab                   the example data generator; `make lab` (JupyterLab for the analysts)
    sphinx_anchors, sphinx_offline      small Sphinx extensions (slug anchors; no other hosts)
"""
