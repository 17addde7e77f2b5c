"""The report's status file (data/status.yml): validated strictly, shown on the cover and the start page, a
recorded input of the build."""

import pytest

from followup.errors import InputError
from followup.layout import input_files
from followup.status import NO_FILE, load_status

from conftest import ADOPTED, REPO


def write(tmp_path, text):
    path = tmp_path / "status.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_status_file_is_valid_and_a_draft():
    status = load_status(REPO / "data" / "status.yml")
    assert status.line(status.year) == "Utkast"


def test_an_adopted_report_names_the_decision(tmp_path):
    status = load_status(write(tmp_path, ADOPTED))
    assert status.adopted(2025)
    assert status.line(2025) == "Fastställd av kommunfullmäktige 2026-04-27, § 45, dnr KS 2026/0123"
    assert status.manifest(2025) == {"status": "fastställd", "line": status.line(2025)}


def test_a_status_for_another_year_makes_a_draft(tmp_path):
    status = load_status(write(tmp_path, ADOPTED))
    assert not status.adopted(2026) and status.line(2026) == "Utkast"
    assert status.manifest(2026)["status"] == "utkast"
    # ... and says so: the build warns with this (an analyst may have forgotten to change the year)
    assert status.other_year(2026) == (
        "data/status.yml: 'fastställd' for 2025, not for 2026: the 2026 report is printed as 'Utkast' "
        "(set year: 2026 when its own decision is taken)"
    )
    assert status.other_year(2025) is None and NO_FILE.other_year(2026) is None


def test_no_file_is_a_draft(tmp_path):
    assert load_status(tmp_path / "status.yml") is NO_FILE
    assert NO_FILE.line(2025) == "Utkast"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("schema_version: 1\nyear: 2025\nstatus: fastställd\n", "decision: missing (a report with status 'fastställd'"),
        (ADOPTED.replace("fastställd", "utkast"), "decision: only an adopted report has a decision"),
        (
            ADOPTED.replace("status: fastställd", "status: klar"),
            "status: expected one of utkast, fastställd, got 'klar'",
        ),
        (
            ADOPTED.replace('"2026-04-27"', "2026-04-27"),
            "decision.date: expected a string, got a date 2026-04-27; write",
        ),
        (ADOPTED.replace("2026-04-27", "2026-02-30"), "decision.date: expected a date that exists, got '2026-02-30'"),
        (ADOPTED.replace("2026-04-27", "2025-06-01"), "decision.date: expected a date after the report year 2025"),
        (ADOPTED.replace("paragraph: 45", "paragraf: 45"), "decision.paragraf: unknown key; did you mean 'paragraph'?"),
        (
            ADOPTED.replace("paragraph: 45", "paragraph: 0"),
            "decision.paragraph: expected a paragraph number, 1 or more",
        ),
        (ADOPTED.replace("dnr: KS  2026/0123", 'dnr: " "'), "decision.dnr: expected a registration number"),
        (ADOPTED.replace("year: 2025", "year: '2025'"), "year: expected an integer, got a string '2025'; write"),
        ("schema_version: 1\nstatus: utkast\n", "year: missing (expected an integer)"),
        ("year: 2025\n\tstatus: utkast\n", "indent with spaces, not tabs"),
    ],
)
def test_bad_status_files_name_the_file_and_the_key(tmp_path, text, expected):
    with pytest.raises(InputError) as err:
        load_status(write(tmp_path, text))
    assert str(tmp_path / "status.yml") in str(err.value)
    assert expected in str(err.value)


def test_the_status_file_is_a_recorded_input_when_present(tmp_path):
    (tmp_path / "data").mkdir()
    assert "data/status.yml" not in input_files(tmp_path, tmp_path / "data" / "example", 2025, [])
    (tmp_path / "data" / "status.yml").write_text("schema_version: 1\nyear: 2025\nstatus: utkast\n")
    rels = input_files(tmp_path, tmp_path / "data" / "example", 2025, [])
    assert {"data/status.yml", "data/status.schema.json"} <= set(rels)


def test_verify_against_a_draft_refuses_a_status_file_changed_since_the_build(tmp_path):
    """A build's manifest (_build/) keeps no inputs beside it: verify --draft reads the repository's status
    file, and refuses it when it is not the one the build recorded."""
    import json

    from followup.data import sha256_file
    from followup.errors import FollowupError
    from followup.layout import STATUS_FILE
    from followup.manifest import FORMAT
    from followup.verify import compare_with_draft

    repo = tmp_path / "repo"
    (repo / "data").mkdir(parents=True)
    status = repo / STATUS_FILE
    status.write_text("schema_version: 1\nyear: 2025\nstatus: utkast\n", encoding="utf-8")
    recorded = sha256_file(status)
    paths = []
    for name in ("build", "draft"):
        manifest = {
            "format": FORMAT,
            "parameters": {"year": 2025},
            "inputs": {STATUS_FILE: recorded},
            "outputs": {},
            "data": {"source": "example"},
        }
        path = tmp_path / name / "manifest.json"
        path.parent.mkdir()
        path.write_text(json.dumps(manifest), encoding="utf-8")
        paths.append(path)
    assert compare_with_draft(paths[0], paths[1], repo) == 0  # the same status file: nothing differs
    status.write_text("schema_version: 1\nyear: 2024\nstatus: utkast\n", encoding="utf-8")
    with pytest.raises(FollowupError, match=r"data/status.yml: not the status file .*build/manifest.json was built"):
        compare_with_draft(paths[0], paths[1], repo)
