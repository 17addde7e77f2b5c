"""`jupyter-book` as the build runs it (`python -m followup.jupyter_book_cli build ...`): the same command line,
without loading `rfc3987_syntax`.

jupyter-book imports jsonschema, which imports `rfc3987_syntax` when it is installed (JupyterLab installs it)
and compiles its grammars: about 2 s in every build of the book, for an IRI format check the book's
configuration never uses. Importing this module (inside the package `followup`) runs followup/__init__.py,
which keeps it from being loaded.
"""

import sys

if __name__ == "__main__":
    from jupyter_book.cli.main import main

    sys.exit(main())
