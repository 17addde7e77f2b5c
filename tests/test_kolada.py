"""The Kolada client and the fetch, against a local server speaking the v3 API (no network)."""

import hashlib
import json
import logging
from pathlib import Path

import pytest

from followup.data import load_dataset
from followup.fetch import fetch
from followup.kolada import Client, KoladaError, flatten, retry_after

from conftest import make_project
from kolada_server import FakeKolada


@pytest.fixture
def server(example_dataset):
    with FakeKolada(example_dataset) as fake:
        yield fake


def client(fake, **kw):
    return Client(fake.url, **{"backoff": 0.0, "tries": 3, "sleep": lambda s: None, **kw})


@pytest.fixture
def lines(caplog):
    """The lines the client and the fetch log (what the terminal shows)."""
    caplog.set_level(logging.INFO, logger="followup")
    return lambda: [r.getMessage() for r in caplog.records if r.name.startswith("followup.")]


def test_paging_and_genders_by_field(server, example_dataset, lines):
    server.per_page = 7
    rows = client(server).data(["N15428"], ["2081", "0000"], list(range(2015, 2026)))
    assert sum("page" in line for line in lines()) == 4  # 22 rows, 7 a page
    source = load_dataset(example_dataset).values
    want = source[(source["indicator"] == "N15428") & source["municipality"].isin(["2081", "0000"])]
    assert len(rows) == len(want) == 66
    got = {(r["municipality"], r["year"], r["gender"]): r["value"] for r in rows}
    for r in want.itertuples():
        assert got[(r.municipality, r.year, r.gender)] == pytest.approx(r.value)


def test_null_values_keep_their_status():
    rows = flatten(
        [
            {
                "kpi": "N1",
                "municipality": "2081",
                "period": 2024,
                "values": [
                    {"gender": "M", "value": 3.0, "status": ""},
                    {"gender": "T", "value": None, "status": "För få svar"},
                    {"gender": "K", "value": None, "status": None},
                ],
            }
        ],
        "u",
    )
    by = {r["gender"]: r for r in rows}
    assert by["T"]["value"] is None and by["T"]["status"] == "För få svar"
    assert by["K"]["status"] == "Värde saknas i Kolada (ingen orsak angiven)"
    assert by["M"]["value"] == 3.0


def test_unknown_gender_is_an_error():
    with pytest.raises(KoladaError, match="unknown gender 'X'"):
        flatten([{"kpi": "N1", "municipality": "2081", "period": 2024, "values": [{"gender": "X", "value": 1}]}], "u")


def test_deleted_rows_are_skipped():
    assert flatten([{"kpi": "N1", "municipality": "2081", "period": 2024, "isdeleted": True, "values": []}], "u") == []


def test_429_then_success(server, lines):
    server.faults.append(("/data/", "429"))
    rows = client(server).data(["N15428"], ["2081"], [2025])
    assert rows and "  HTTP 429; retrying in 0 s (try 2 of 3)" in lines()


def test_500_exhausts_the_retries(server):
    server.always["/kpi/"] = "500"
    waits = []
    with pytest.raises(KoladaError, match=r"/kpi/N15428: gave up after 3 tries \(last: HTTP 500\)"):
        client(server, backoff=1.0, sleep=waits.append).kpis(["N15428"])
    assert sum(path.startswith("/v3/kpi/") for path in server.requests) == 3
    assert waits == [1.0, 2.0]  # doubled for each further try


def test_retry_after_is_honoured_and_capped(server):
    server.retry_after = "7"
    server.faults += [("/kpi/", "429"), ("/kpi/", "429")]
    waits = []
    assert client(server, backoff=1.0, max_backoff=5.0, sleep=waits.append).kpis(["N15428"])
    assert waits == [5.0, 5.0]  # the server asked for 7 s, the cap is 5
    server.retry_after = "3"
    server.faults.append(("/kpi/", "429"))
    waits.clear()
    client(server, backoff=1.0, sleep=waits.append).kpis(["N15428"])
    assert waits == [3.0]


def test_retry_after_as_a_date():
    assert retry_after("120") == 120.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: at once
    assert 0 < retry_after("Fri, 01 Jan 2100 00:00:00 GMT")
    assert retry_after("") is None and retry_after("soon") is None


def test_lost_connection_is_retried(server, lines):
    server.faults.append(("/kpi/", "drop"))
    assert client(server).kpis(["N15428"])
    assert any(line.startswith("  connection lost (") for line in lines())
    assert sum(path.startswith("/v3/kpi/") for path in server.requests) == 2


def test_time_out_is_retried(server, lines):
    server.delay = 0.5
    with pytest.raises(KoladaError, match=r"gave up after 2 tries \(last: time-out"):
        client(server, tries=2, timeout=0.1).kpis(["N15428"])
    assert any("time-out" in line and "try 2 of 2" in line for line in lines())


def test_malformed_json(server):
    server.faults.append(("/municipality/", "malformed"))
    with pytest.raises(KoladaError, match="not valid JSON"):
        client(server).municipalities(["2081"])


def test_4xx_is_not_retried(server):
    server.faults.append(("/kpi/", "404"))
    with pytest.raises(KoladaError, match=r"HTTP 404 Not Found: \{\"error\": \"injected\"\}"):
        client(server).kpis(["N15428"])
    assert len(server.requests) == 1


def test_more_than_25_ids_are_split(server):
    ids = sorted(server.kpis)
    assert len(ids) > 25
    got = client(server).kpis(ids)
    assert {k["id"] for k in got} == set(ids)
    kpi_requests = [p for p in server.requests if p.startswith("/v3/kpi/")]
    assert len(kpi_requests) == 2 and all(p.split("/")[-1].count(",") < 25 for p in kpi_requests)


def test_cannot_connect_is_a_clear_error():
    c = Client("http://127.0.0.1:9/v3", backoff=0, tries=2, sleep=lambda s: None, timeout=2)
    with pytest.raises(KoladaError, match="cannot connect"):
        c.kpis(["N15428"])


# ------------------------------------------------------------------ the fetch into a snapshot


def tree(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def project(tmp_path, example_dataset):
    return make_project(tmp_path / "project", example_dataset)


def test_fetch_writes_a_snapshot_in_the_data_format(project, server):
    changes = fetch(project, 2025, server.url, client=client(server))
    assert changes["previous_retrieved"] is None
    ds = load_dataset(project / "data", parts=("kolada",))
    assert ds.kolada_manifest["source"] == "kolada" and not ds.is_example
    assert ds.kolada_manifest["api"] == {"base_url": server.url, "version": "v3"}
    assert ds.kolada_manifest["urls"] and all(u.startswith(server.url) for u in ds.kolada_manifest["urls"])
    assert ds.years == (2016, 2025)  # the ten years of the trend charts (and the plan period)
    assert set(ds.municipalities) == {"2081", "0000", "0188", "0480", "0682", "1293", "1485", "1487", "2181"}
    assert ds.group_members("G37343") == ["0188", "0480", "0682", "1293", "1485", "1487", "2181"]


def test_failed_fetch_leaves_the_previous_snapshot(project, server):
    fetch(project, 2025, server.url, client=client(server))
    before = tree(project / "data")
    server.always["/data/"] = "500"
    with pytest.raises(KoladaError):
        fetch(project, 2025, server.url, client=client(server))
    assert tree(project / "data") == before


def test_second_fetch_reports_what_changed(project, server):
    fetch(project, 2025, server.url, client=client(server))
    # Kolada revises a value, renames a KPI (with a new unit), drops a KPI and redraws the peer group.
    key = ("N15428", "2081", 2024)
    t = next(e for e in server.values[key] if e["gender"] == "T")
    old_value, t["value"] = t["value"], t["value"] + 1.5
    server.kpis["N09809"] = dict(server.kpis["N09809"], title="Aktiva låntagare, antal/1000 inv")
    del server.kpis["N07945"]
    group = server.groups["G37343"]
    falun = {"member_id": "2080", "member_title": "Falun"}
    server.groups["G37343"] = dict(group, members=group["members"][1:] + [falun])
    server.municipalities["2080"] = {"id": "2080", "title": "Falun", "type": "K"}
    changes = fetch(project, 2025, server.url, client=client(server))
    assert changes["previous_retrieved"] is not None
    revised = [
        r for r in changes["revised_values"] if (r["kpi"], r["municipality"], r["year"]) == key and r["gender"] == "T"
    ]
    assert revised and revised[0]["old"] == pytest.approx(old_value)
    assert revised[0]["new"] == pytest.approx(old_value + 1.5)
    assert [(r["kpi"], r["unit_changed"]) for r in changes["renamed_kpis"]] == [("N09809", True)]
    assert [b["kpi"] for b in changes["series_breaks"]] == ["N09809"]
    assert [r["kpi"] for r in changes["removed_kpis"]] == ["N07945"]
    assert changes["group_changes"] == [
        {
            "group": "G37343",
            "added": [{"id": "2080", "title": "Falun"}],
            "removed": [{"id": "0188", "title": "Norrtälje"}],
        }
    ]
    ds = load_dataset(project / "data", parts=("kolada",))
    assert ds.removed_kpis == {"N07945"} and ds.kpis["N07945"]["title"].startswith("Elbilar")
    assert json.loads((project / "data" / "kolada" / "changes.json").read_text()) == changes
