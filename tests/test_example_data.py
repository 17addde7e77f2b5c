"""The example data set: made by a deterministic script, plausible, and marked as example data."""

import filecmp
import math

from followup import example_data
from followup.data import load_dataset
from followup.runs import RunLock

from conftest import REPO, make_project


def test_committed_example_data_is_what_the_script_makes(example_dataset):
    for part in ("kolada", "local"):
        committed = REPO / "data" / "example" / part
        names = sorted(p.name for p in committed.iterdir())
        assert names == sorted(p.name for p in (example_dataset / part).iterdir())
        match, mismatch, errors = filecmp.cmpfiles(committed, example_dataset / part, names, shallow=False)
        assert mismatch == [] and errors == [], f"run `make example-data`: {part}/{mismatch or errors} differ"


def test_example_data_covers_what_the_report_needs(example_dataset):
    ds = load_dataset(example_dataset)
    assert ds.is_example and ds.kolada_manifest["source"] == "example"
    v = ds.values
    kolada = v[v["indicator"].str.match(r"^[NU]\d{5}$")]
    members = ds.group_members("G37343")
    assert len(members) == 7
    for muni in ["2081", "0000", *members]:
        years = set(kolada[kolada["municipality"] == muni]["year"])
        assert set(range(2015, 2024)) <= years, muni
    assert v["year"].min() == 2015 and ds.latest_year == 2025
    # the women/men split where the KPI has one
    for kpi, meta in ds.kpis.items():
        genders = set(v[v["indicator"] == kpi]["gender"])
        assert genders == ({"T", "K", "M"} if meta["is_divided_by_gender"] else {"T"}), kpi
    # missing values carry a reason
    missing = v[v["value"].isna()]
    assert len(missing) >= 5 and (missing["status"] != "").all()
    assert (missing["municipality"] == "2081").any()
    # some KPIs are not yet published for the latest year
    last = kolada.groupby("indicator")["year"].max()
    assert (last < 2025).sum() >= 5 and (last == 2025).sum() >= 5
    # shares stay within 0..100
    shares = [k for k, m in ds.kpis.items() if "andel" in m["title"]]
    values = v[v["indicator"].isin(shares)]["value"].dropna()
    assert values.between(0, 100).all()
    assert not any(math.isinf(x) for x in v["value"].dropna())


def test_the_generator_takes_the_run_lock_and_replaces_by_swap(tmp_path, example_dataset, capsys):
    project = make_project(tmp_path / "p", example_dataset)
    out = project / "data" / "example"
    (out / ".kolada.old-1-2").mkdir()  # left by a generator that was killed
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with RunLock(project, "test run"):
        assert example_data.main(["--out", str(out)]) == 1
    assert "a test run (process" in capsys.readouterr().err
    assert example_data.main(["--out", str(out), "--project", str(project)]) == 0
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # the same spec, the same bytes
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == []


def test_the_generator_needs_a_project(tmp_path, capsys):
    assert example_data.main(["--out", str(tmp_path / "example")]) == 1
    assert "give --project" in capsys.readouterr().err
