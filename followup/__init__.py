"""followup: the logic behind Borlänge kommun's annual follow-up of its strategic plan.

Modules:
    errors        error types that name the file, the key or row, and what was expected
    fmt           Swedish number formatting
    plan          the plan file (data/plan.yml): loading and strict validation
    data          data sets (Kolada snapshots, example data, local indicators): loading and checks
    analysis      series, peer means, the indicator table
    figures       trend charts (SVG) with alt text, caption and source
    chapter       what the notebooks call: one goal area's chapter, the overview
    notebooks     rendering the notebook template for a goal area, tidying executed notebooks
    build         the whole build: validate, execute, assemble the book, publish into _build/
    example_data  the deterministic generator of data/example/
"""
