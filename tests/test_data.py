import json
import math

import pytest

from followup.data import DataError, choose_root, load_dataset

from conftest import kpi_meta, make_dataset, row


def test_loads_kolada_and_local_values(tiny_dataset):
    ds = load_dataset(tiny_dataset)
    assert ds.is_example
    assert ds.retrieved == "2026-03-15T08:00:00Z"
    assert ds.latest_year == 2024
    assert ds.years == (2022, 2024)
    assert set(ds.values["indicator"]) == {"N00001", "N00002", "lokal-a"}
    missing = ds.values[(ds.values["municipality"] == "0003")]
    assert math.isnan(missing["value"].iloc[0]) and missing["status"].iloc[0] == "För få svar"
    assert ds.group_members("G1") == ["0001", "0002", "0003"]
    assert ds.local_sources == {"lokal-a": "Testförvaltningen"}
    assert ds.producer("N00001") == "SCB"


def test_a_real_snapshot_is_not_example(tmp_path):
    root = make_dataset(tmp_path / "d", [row("N00001", "2081", 2024, 1)], [kpi_meta("N00001")], source="kolada")
    assert not load_dataset(root).is_example


def test_producer_is_the_last_named_source(tmp_path):
    root = make_dataset(
        tmp_path / "d",
        [row("N00001", "2081", 2024, 1)],
        [kpi_meta("N00001", description="Text. Källa: SCB och Skolverket.")],
    )
    assert load_dataset(root).producer("N00001") == "SCB och Skolverket"


def test_choose_root_prefers_a_real_snapshot(tmp_path):
    (tmp_path / "example").mkdir()
    assert choose_root(tmp_path) == tmp_path / "example"
    (tmp_path / "kolada").mkdir()
    (tmp_path / "kolada" / "manifest.json").write_text("{}")
    assert choose_root(tmp_path) == tmp_path


def edit(path, old, new):
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def test_a_changed_file_fails_its_manifest_hash(tiny_dataset):
    edit(tiny_dataset / "kolada" / "values.csv", "52.5", "53.5")
    with pytest.raises(DataError, match="does not match the manifest") as info:
        load_dataset(tiny_dataset)
    assert info.value.path.endswith("kolada/values.csv")


def rewrite(tmp_path, values, **kw):
    return make_dataset(tmp_path / "bad", values, [kpi_meta("N00001")], **kw)


def test_comma_decimal(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, "51,5")])
    with pytest.raises(DataError) as info:
        load_dataset(root)
    assert info.value.where == "line 2, column value"
    assert "'51,5'" in info.value.message and "decimal point" in info.value.message


def test_every_problem_of_a_file_at_once(tmp_path):
    """Many bad rows: one group of problems (an ExceptionGroup, caught as a DataError too: a fetch relies on
    that for a damaged previous snapshot), the file named once and the first 25 problems listed."""
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, i, gender="X") for i in range(30)])
    with pytest.raises(DataError) as info:
        load_dataset(root)
    assert isinstance(info.value, ExceptionGroup) and len(info.value.exceptions) == 30
    lines = str(info.value).splitlines()
    assert lines[0] == f"{root / 'kolada' / 'values.csv'}: 30 problems:"
    assert lines[1] == "  line 2, column gender: expected T, K or M, got 'X'"
    assert len(lines) == 1 + 25 + 1 and lines[-1] == "  … and 5 more"


def test_duplicate_row(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, 1), row("N00001", "2081", 2024, 2)])
    with pytest.raises(DataError, match="duplicate of line 2") as info:
        load_dataset(root)
    assert info.value.where == "line 3"


def test_missing_value_needs_a_reason(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, None)])
    with pytest.raises(DataError, match="needs its reason"):
        load_dataset(root)


def test_bad_gender(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, 1, gender="X")])
    with pytest.raises(DataError, match="expected T, K or M"):
        load_dataset(root)


def test_bad_municipality_code(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "281", 2024, 1)])
    with pytest.raises(DataError, match="four-digit municipality code"):
        load_dataset(root)


def test_values_for_a_kpi_without_metadata(tmp_path):
    root = rewrite(tmp_path, [row("N00001", "2081", 2024, 1), row("N00009", "2081", 2024, 1)])
    with pytest.raises(DataError, match="without metadata in kpis.json: N00009"):
        load_dataset(root)


def test_wrong_columns(tmp_path, tiny_dataset):
    path = tiny_dataset / "local" / "values.csv"
    edit(path, "indicator,", "indikator,")
    manifest = json.loads((tiny_dataset / "local" / "manifest.json").read_text())
    from followup.data import sha256_file

    manifest["files"]["values.csv"]["sha256"] = sha256_file(path)
    (tiny_dataset / "local" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="expected the columns indicator,municipality") as info:
        load_dataset(tiny_dataset)
    assert info.value.where == "line 1"


def test_sealing_local_data_saved_by_excel(tiny_dataset):
    """A byte-order mark and CRLF line ends (as Excel saves CSV UTF-8) are accepted and sealed as they are."""
    from followup.data import seal_local

    path = tiny_dataset / "local" / "values.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    with pytest.raises(DataError, match="does not match the manifest"):
        load_dataset(tiny_dataset)
    assert seal_local(tiny_dataset / "local", "2026-03-20T10:00:00Z") == 1
    ds = load_dataset(tiny_dataset)
    assert ds.local_sources == {"lokal-a": "Testförvaltningen"}
    assert ds.local_manifest["source"] == "local"


def test_sealing_checks_the_local_data_against_the_plan(tiny_dataset, tiny_plan):
    from followup.data import seal_local
    from followup.errors import FollowupError

    path = tiny_dataset / "local" / "values.csv"
    path.write_text(path.read_text(encoding="utf-8") + "lokal-x,2081,2024,T,3,,Någon\n", encoding="utf-8")
    before = (tiny_dataset / "local" / "manifest.json").read_bytes()
    with pytest.raises(FollowupError, match="unknown indicator 'lokal-x'"):
        seal_local(tiny_dataset / "local", "2026-03-20T10:00:00Z", tiny_plan)
    assert (tiny_dataset / "local" / "manifest.json").read_bytes() == before  # nothing recorded


def test_missing_manifest(tiny_dataset):
    (tiny_dataset / "local" / "manifest.json").unlink()
    with pytest.raises(DataError, match="file not found"):
        load_dataset(tiny_dataset)


def test_manifest_of_the_wrong_kind(tiny_dataset):
    path = tiny_dataset / "kolada" / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["source"] = "local"
    path.write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="expected one of kolada, example"):
        load_dataset(tiny_dataset)
