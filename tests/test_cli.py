"""The Makefile passes YEAR, AREAS and PDF on to run_all.py."""

import shutil
import subprocess

import pytest

from conftest import REPO


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    "variables, expected",
    [
        ([], "run_all.py build"),
        (["YEAR=2024"], "run_all.py build --year 2024"),
        (["AREAS=skolan,miljo", "PDF=0"], "run_all.py build --areas skolan,miljo --no-pdf"),
    ],
)
def test_make_report_passes_options_on(variables, expected):
    out = subprocess.run(["make", "-n", "-C", str(REPO), "report", *variables], capture_output=True, text=True)
    assert out.returncode == 0
    line = next(line for line in out.stdout.splitlines() if "run_all.py" in line)
    assert " ".join(line.split()).endswith(expected)
