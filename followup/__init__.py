"""followup: the logic behind Borlänge kommun's annual follow-up of its strategic plan.

Modules:
    errors          error types that name the file, the key or row, and what was expected
    fmt             Swedish number formatting
    plan            the plan file (data/plan.yml): loading and strict validation
    data            data sets (Kolada snapshots, example data, local indicators): loading and checks
    analysis        series, peer means and ranks, the indicator table
    assessment      verdicts by rule, the goal areas' roll-up, direction of travel
    commentary      the analysts' texts per goal area and year, and overrides
    figures         trend and cumulative charts (SVG) with alt text, caption and source
    chapter         what the notebooks call: one goal area's chapter, the overview
    notebooks       rendering the notebook template for a goal area, tidying executed notebooks
    results         the results file and the data downloads
    manifest        the build manifest, verify and publish
    build           the whole build: validate, execute, assemble the book, publish into _build/
    pdf             Chromium's print and the PDF's bookmarks
    kolada, fetch   the Kolada v3 client, and fetching a snapshot with what changed
    runs            one run at a time, interrupts, clean-up after a killed run
    sphinx_anchors, sphinx_offline   small Sphinx extensions (slug anchors; no other hosts)
    example_data    the deterministic generator of data/example/
"""
