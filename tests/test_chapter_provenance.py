"""Provenance out of the reading flow: the "Underlag" element and the print line under each figure and table,
the notebook's provenance record, the appendix made from it, and each chart's numbers as a table and a download."""

import io
import math
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from followup import analysis, book, chapter, figures, results
from followup.data import load_dataset, sha256_file
from followup.errors import FollowupError
from followup.plan import load_plan

from conftest import kpi_meta, make_dataset, row


@pytest.fixture
def shown(monkeypatch):
    """What the chapter displays, as (kind, text) in order."""
    out = []
    monkeypatch.setattr(chapter, "display", lambda obj: out.append((type(obj).__name__, getattr(obj, "data", obj))))
    return out


@pytest.fixture
def ctx(tiny_dataset, tiny_plan, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # in the book, files are written beside the notebook
    ds, plan = load_dataset(tiny_dataset), load_plan(tiny_plan)
    c = chapter.Context(plan, ds, 2024, "2081", tmp_path / "commentary", tmp_path / "res", book_output=True)
    c.chapter = "skolan"
    return c


NUMBERS = pd.DataFrame({"År": [2023, 2024], "Borlänge": [52.5, 51.0]})


def chart(path: Path, name: str, alt: str, caption: str, table=NUMBERS) -> figures.Figure:
    """A chart as followup.figures makes it (the SVG written by the test), with its numbers."""
    return figures.Figure(path, name, alt, caption, table)


def test_source_names_each_once_in_swedish():
    assert analysis.source_names(["SCB", "SCB och Skolverket", None]) == "SCB och Skolverket"
    assert analysis.source_names(["Post- och telestyrelsen", "egen enkät", "Egen enkät"]) == (
        "egen enkät och Post- och telestyrelsen"
    )
    assert analysis.source_names(["Socialstyrelsen & SCB", "BRÅ"]) == "BRÅ, SCB och Socialstyrelsen"
    assert analysis.source_names([]) == ""


def test_producer_ends_at_koladas_written_line_break(tmp_path):
    kpis = [kpi_meta("N00001", description="Andel. Källa: Nationella emissionsdatabasen och SCB\\n Mer text")]
    ds = load_dataset(make_dataset(tmp_path / "d", [row("N00001", "2081", 2024, 1.0)], kpis))
    assert ds.producer("N00001") == "Nationella emissionsdatabasen och SCB"


def test_a_table_gets_a_collapsed_underlag_and_a_print_line(ctx, shown):
    df = pd.DataFrame({"Indikator": ["Testandel"], "Värde": ["51,0 %"]})
    area = ctx.plan.area("skolan")
    chapter._table(ctx, df, "tab-skolan-test", "Testtabell", area.indicators, "followup.analysis.summarise")
    (_, table_html), (_, markdown) = shown
    assert "<caption>Testtabell</caption>" in table_html
    underlag, printed = markdown.split(":::{container}")
    assert underlag.startswith("::::{dropdown} Underlag\n:class-container: only-screen")
    csv = Path("tables/tab-skolan-test.csv")
    assert f"sha256 `{sha256_file(csv)[:16]}`" in underlag and "`followup.analysis.summarise`" in underlag
    assert "N00001, N00002" in underlag and "lokala uppgifter (lokal-a)" in underlag
    # the PDF's line: short, no function, hash or file, and a link to the entry in the appendix
    assert printed.startswith(" only-print")
    line = printed.splitlines()[1]
    assert line.startswith(
        "Källa: exempeldata i Koladas format N00001, N00002 (SCB); lokala uppgifter från Testförvaltningen; egen"
    )
    assert line.endswith("Underlag: {ref}`bilagan <underlag-tab-skolan-test>`.")
    assert "followup." not in line and ".csv" not in line and "sha256" not in line
    (entry,) = results.read_provenance(Path("."), "skolan")
    assert entry["kind"] == "table" and entry["file"] == "tables/tab-skolan-test.csv"
    assert entry["sha256"] == sha256_file(csv)
    assert entry["rows_sha256"] == ctx.data.rows_sha256(["N00001", "N00002", "lokal-a"])


def test_a_chart_shows_its_numbers_as_a_table_and_records_them(ctx, shown, tmp_path):
    ind = ctx.plan.area("skolan").indicators[0]  # andel (%), 1 decimal
    svg = tmp_path / "figures" / "skolan" / "skolan-n00001.svg"
    svg.parent.mkdir(parents=True)
    svg.write_text("<svg/>", encoding="utf-8")
    numbers = pd.DataFrame({"År": [2023, 2024], "Borlänge": [52.5, 51.0], "Riket": [56.0, math.nan]})
    fig = chart(Path("figures/skolan/skolan-n00001.svg"), "fig-skolan-n00001", "Alt.", "Bildtext.", numbers)
    chapter._show_figure(ctx, fig, ind, "Testandel", "followup.figures.trend_chart")
    ((_, markdown),) = shown
    figure_at, numbers_at, underlag_at = (markdown.index(s) for s in ("{figure}", "Diagrammets siffror", "Underlag"))
    assert figure_at < numbers_at < underlag_at  # under the chart: its numbers, then its provenance
    block = markdown[numbers_at : markdown.index("::::\n", numbers_at)]
    assert "<caption>Diagrammets siffror: Testandel, andel (%)</caption>" in block
    assert "\n\n" not in block.split("\n\n", 1)[1]  # the HTML stays one raw block
    cells = pd.read_html(io.StringIO(block.split("\n\n", 1)[1].replace("\n", "")))[0]
    assert cells.astype(str).values.tolist() == [
        ["2023", "52,5\u00a0%", "56,0\u00a0%"],
        ["2024", "51,0\u00a0%", "\u2013"],
    ]
    written = Path("tables/fig-skolan-n00001.csv")
    assert pd.read_csv(written).equals(numbers)
    (entry,) = results.read_provenance(Path("."), "skolan")
    assert entry["numbers_file"] == written.as_posix() and entry["numbers_sha256"] == sha256_file(written)
    rows = results.chart_rows({"skolan": Path(".")})
    assert rows[:2] == [
        {"goal_area": "skolan", "figure": "fig-skolan-n00001", "year": 2023, "series": "Borlänge", "value": 52.5},
        {"goal_area": "skolan", "figure": "fig-skolan-n00001", "year": 2023, "series": "Riket", "value": 56.0},
    ]
    assert rows[3] == {
        "goal_area": "skolan",
        "figure": "fig-skolan-n00001",
        "year": 2024,
        "series": "Riket",
        "value": None,
    }
    written.write_text("År,Borlänge\n2023,1\n", encoding="utf-8")  # changed after it was recorded
    with pytest.raises(results.ResultsError, match="fig-skolan-n00001.csv: the numbers of fig-skolan-n00001"):
        results.chart_rows({"skolan": Path(".")})


def test_a_chart_without_numbers_is_an_error(ctx, shown, tmp_path):
    """Its numbers are a chart's text alternative: a chart without them is not shown without a word."""
    ind = ctx.plan.area("skolan").indicators[0]
    (tmp_path / "a.svg").write_text("<svg/>", encoding="utf-8")
    with pytest.raises(FollowupError, match="fig-a: the chart has no numbers"):
        chapter._show_figure(ctx, chart(Path("a.svg"), "fig-a", "Alt.", "Bildtext.", None), ind, "A", "f")
    assert shown == []


def test_a_charts_print_line_names_the_source_once(ctx, shown, tmp_path):
    """A chart's caption names its source: its printed line under it only points to the appendix; a caption
    without a source keeps the source in the printed line."""
    ind = ctx.plan.area("skolan").indicators[0]
    (tmp_path / "a.svg").write_text("<svg/>", encoding="utf-8")
    for name, caption in (("fig-a", "Bildtext. Källa: Kolada, N00001."), ("fig-b", "Bildtext.")):
        chapter._show_figure(ctx, chart(Path("a.svg"), name, "Alt.", caption), ind, "A", "f")
    lines = [md.split(":::{container}")[1].splitlines()[1] for _, md in shown]
    assert lines[0].startswith("Underlag: {ref}`bilagan")
    assert lines[1].startswith("Källa:") and "Underlag: {ref}`bilagan" in lines[1]


def test_chart_numbers_need_the_year_first(ctx):
    ind = ctx.plan.area("skolan").indicators[0]
    with pytest.raises(Exception, match="first column must be 'År'"):
        chapter.chart_numbers(pd.DataFrame({"Borlänge": [1.0]}), ind)


def test_appendix_lists_every_entry_per_chapter(ctx, shown, tmp_path):
    area = ctx.plan.area("skolan")
    df = pd.DataFrame({"A": ["1"]})
    chapter._table(ctx, df, "tab-skolan-a", "Tabell a", area.indicators[:1], "followup.x.a")
    ctx.chapter, ctx.provenance = "oversikt", []
    chapter._table(ctx, df, "tab-oversikt-b", "Tabell b", area.indicators, "followup.x.b")
    text = book.provenance_details(tmp_path, {"oversikt": "Översikt", "skolan": "Skolan"})
    assert text.index("### Översikt") < text.index("(underlag-tab-oversikt-b)=") < text.index("### Skolan")
    a = text[text.index("(underlag-tab-skolan-a)=") :]
    assert (
        "Tabell: **Tabell a**. Exempeldata i Koladas format N00001, hämtade" in a and "ursprunglig producent SCB" in a
    )
    assert f"Fil: `tables/tab-skolan-a.csv`, sha256 `{sha256_file(tmp_path / 'tables/tab-skolan-a.csv')[:16]}`" in a
    assert "Beräkning: `followup.x.a`" in a
    with pytest.raises(results.ResultsError, match="miljo.json: no provenance record"):
        book.provenance_details(tmp_path, {"miljo": "Miljö"})


def test_downloads_hold_the_charts_numbers(tmp_path, tiny_dataset, tiny_plan):
    ds, plan = load_dataset(tiny_dataset), load_plan(tiny_plan)
    doc = results.area_document(ds, plan, "skolan", 2024, tmp_path / "commentary")
    charts = [{"goal_area": "skolan", "figure": "fig-x", "year": 2024, "series": "Borlänge", "value": None}]
    paths = results.write({"skolan": doc}, [], 2024, tmp_path / "out", 1773561600, charts)
    assert (
        paths["charts_csv"].read_text(encoding="utf-8")
        == "goal_area,figure,year,series,value\nskolan,fig-x,2024,Borlänge,\n"
    )
    sheet = openpyxl.load_workbook(paths["inputs_xlsx"], read_only=True)["Diagram"]
    header, first = sheet.iter_rows(values_only=True)
    assert header == tuple(results.CHART_COLUMNS)
    assert first[:4] == ("skolan", "fig-x", 2024, "Borlänge") and first[4:] in ((), (None,))  # an empty cell
