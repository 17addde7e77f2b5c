import itertools
import math
import re
import warnings

import pytest
from matplotlib.container import BarContainer

from followup import figures
from followup.constants import EXAMPLE_NOTE
from followup.data import load_dataset
from followup.plan import load_plan


def chart(tiny_dataset, tiny_plan, out, index=0, kind="trend", year=2024):
    ds, plan = load_dataset(tiny_dataset), load_plan(tiny_plan)
    figures.setup()
    area = plan.area("skolan")
    draw = figures.trend_chart if kind == "trend" else figures.cumulative_chart
    return draw(ds, plan, area, area.indicators[index], year, out)


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures the chart functions close, so that a test can read what they drew."""
    closed = []
    close = figures.plt.close

    def keep(fig):
        closed.append(fig)
        close(fig)

    monkeypatch.setattr(figures.plt, "close", keep)
    return closed


def test_chart_is_svg_with_deterministic_bytes(tiny_dataset, tiny_plan, tmp_path):
    a = chart(tiny_dataset, tiny_plan, tmp_path / "a")
    b = chart(tiny_dataset, tiny_plan, tmp_path / "b")
    assert a.path.name == "skolan-n00001.svg"
    data = a.path.read_bytes()
    assert data.startswith(b"<?xml") and b"<svg" in data
    assert data == b.path.read_bytes()
    assert EXAMPLE_NOTE.encode() in data  # the note is inside the image too
    assert str(tmp_path).encode() not in data


def test_alt_text_and_caption(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path)
    assert fig.name == "fig-skolan-n00001"
    assert fig.alt.startswith("Linjediagram: Testandel (andel (%)), 2022–2024.")
    assert "Borlänge 50,0\u00a0% år 2022 och 51,0\u00a0% år 2024" in fig.alt
    assert "Riket 55,0\u00a0% år 2022 och 56,0\u00a0% år 2023" in fig.alt
    assert "Källa: Kolada, N00001 (SCB)." in fig.caption
    assert "egen beräkning på data från Kolada" in fig.caption
    assert f"**{EXAMPLE_NOTE}.**" in fig.caption


def test_local_indicator_chart_credits_the_supplier(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path, index=2)
    assert "Källa: Testförvaltningen (lokal uppgift)." in fig.caption
    assert "Kolada" not in fig.caption
    assert "Riket" not in fig.alt


def test_missing_years_are_named_with_their_reason(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path, index=1)  # N00002 has 2023 only
    assert "Värde saknas för Borlänge: 2024 (ej publicerat än, väntas 2026-05-01)" in fig.caption
    assert "2022" not in fig.caption  # the series starts in 2023: no years of gaps before it


def test_directive(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path / "figures")
    text = fig.directive(tmp_path)
    assert text.startswith(":::{figure} figures/skolan-n00001.svg\n:alt: Linjediagram")
    assert ":name: fig-skolan-n00001" in text and text.endswith(":::\n")
    assert f":width: {figures.CSS_WIDTH}px" in text


def test_md_escape_keeps_markup_out():
    assert figures.md_escape("<img onerror=x> *a* [b](c)") == "\\<img onerror=x\\> \\*a\\* \\[b\\](c)"


def _points(ax, label):
    """The (year, value) points of the lines drawn with this label (the pieces after a break carry "_label")."""
    lines = [line for line in ax.get_lines() if line.get_label().removeprefix("_") == label]
    assert lines, f"no line labelled {label!r}"
    return lines, sorted(
        (float(x), float(y))
        for line in lines
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True)
        if not math.isnan(y)
    )


def assert_table_is_what_is_plotted(fig, ax):
    table = fig.table
    assert list(table.columns)[0] == "År" and str(table["År"].dtype) == "int64"
    assert all(str(table[c].dtype) == "float64" for c in table.columns[1:])
    bars = {c.get_label(): c for c in ax.containers if isinstance(c, BarContainer)}
    labelled = {
        line.get_label().removeprefix("_") for line in ax.get_lines() if not line.get_label().startswith("_child")
    }
    assert labelled | set(bars) == set(table.columns[1:])  # every drawn series is a column, and no other
    for col in table.columns[1:]:
        want = [(float(y), float(v)) for y, v in zip(table["År"], table[col], strict=True) if not math.isnan(v)]
        if col in bars:  # a missing year is drawn as no bar (height 0)
            got = sorted((p.get_x() + p.get_width() / 2, p.get_height()) for p in bars[col])
            assert got == [
                (float(y), 0.0 if math.isnan(v) else float(v)) for y, v in zip(table["År"], table[col], strict=True)
            ]
            continue
        lines, got = _points(ax, col)
        if col.startswith("Mål:"):  # the target: a horizontal line across the plot, the same value every year
            assert len(lines) == 1 and len(set(lines[0].get_ydata())) == 1
            assert {v for _, v in want} == {float(lines[0].get_ydata()[0])} and len(want) == len(table)
        else:
            assert got == want


def test_table_equals_what_is_plotted(tiny_dataset, tiny_plan, tmp_path, drawn):
    fig = chart(tiny_dataset, tiny_plan, tmp_path)  # N00001: a value target; Riket lacks 2024, the peers 2022–2023
    assert list(fig.table.columns) == ["År", "Borlänge", "Riket", "Liknande kommuner (medel)", "Mål: minst 51,0\u00a0%"]
    assert fig.table["År"].tolist() == [2022, 2023, 2024]
    assert fig.table["Borlänge"].tolist() == [50.0, 52.5, 51.0]
    assert math.isnan(fig.table["Riket"].iloc[2]) and fig.table["Riket"].iloc[0] == 55.0
    assert fig.table["Liknande kommuner (medel)"].isna().tolist() == [True, True, False]
    assert_table_is_what_is_plotted(fig, drawn[-1].axes[0])


def test_table_without_a_target_value(tiny_dataset, tiny_plan, tmp_path, drawn):
    fig = chart(tiny_dataset, tiny_plan, tmp_path, index=1)  # N00002: judged against Riket, no target value
    assert not any(c.startswith("Mål") for c in fig.table.columns)
    assert "målet" not in fig.alt
    assert_table_is_what_is_plotted(fig, drawn[-1].axes[0])


def test_cumulative_table_equals_what_is_plotted(tiny_dataset, tiny_plan, tmp_path, drawn):
    fig = chart(tiny_dataset, tiny_plan, tmp_path, index=2, kind="cumulative")
    t = fig.table
    assert list(t.columns) == ["År", "Per år", "Sammanlagt", "Mål i jämn takt", "Mål: minst 30"]
    assert t["År"].tolist() == [2023, 2024, 2025, 2026]  # the plan period
    assert t["Mål i jämn takt"].tolist() == [7.5, 15.0, 22.5, 30.0]  # reaches the target evenly
    assert t["Sammanlagt"].isna().tolist() == [False, False, True, True]  # after the report year: not drawn
    assert_table_is_what_is_plotted(fig, drawn[-1].axes[0])


def test_chart_table_rejects_what_it_cannot_name():
    with pytest.raises(ValueError, match="distinct column names"):
        figures.chart_table([2024], [("Riket", [1.0]), ("Riket", [2.0])])
    with pytest.raises(ValueError, match="'Riket' has 2 values for 1 years"):
        figures.chart_table([2024], [("Riket", [1.0, 2.0])])


def _labels(ax):
    """The texts that name the lines: the legend's, or the labels at the lines' ends (unwrapped)."""
    legend = ax.get_legend()
    if legend is not None:
        return [t.get_text() for t in legend.get_texts()]
    return [
        t.get_text().replace("\n", " ") for t in ax.texts if t.get_position()[0] > 0 and t.xy[0] == ax.get_xlim()[1]
    ]


def test_lines_are_named_as_their_table_columns(tiny_dataset, tiny_plan, tmp_path, drawn):
    for index, kind in ((0, "trend"), (2, "trend"), (2, "cumulative")):
        fig = chart(tiny_dataset, tiny_plan, tmp_path, index=index, kind=kind)
        assert sorted(_labels(drawn[-1].axes[0])) == sorted(fig.table.columns[1:])


def test_end_labels_where_they_fit_else_a_legend(tiny_dataset, tiny_plan, tmp_path, drawn):
    fig = chart(tiny_dataset, tiny_plan, tmp_path, index=2)  # one line: labelled at its end, right of the plot
    ax = drawn[-1].axes[0]
    assert ax.get_legend() is None
    (label,) = [t for t in ax.texts if t.get_text() == "Borlänge"]
    # anchored at the plot's right edge, at the height of the line's end, and written rightwards from it
    assert (
        label.xy == (ax.get_xlim()[1], fig.table["Borlänge"].dropna().iloc[-1])
        and label.xyann[0] > 0
        and label.get_horizontalalignment() == "left"
    )
    chart(tiny_dataset, tiny_plan, tmp_path, index=0)  # Borlänge ends on the target (51,0): they would collide
    assert drawn[-1].axes[0].get_legend() is not None


def test_y_ticks_step_in_round_numbers(tiny_dataset, tiny_plan, tmp_path, drawn):
    for index in (0, 1, 2):
        chart(tiny_dataset, tiny_plan, tmp_path, index=index)
        ticks = drawn[-1].axes[0].get_yticks()
        step = ticks[1] - ticks[0]
        assert all(math.isclose(b - a, step) for a, b in itertools.pairwise(ticks))
        mantissa = step / 10 ** math.floor(math.log10(step))
        assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5)), step


def test_target_line_and_plan_period_are_described(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path)
    assert "En linje visar målet minst 51,0\u00a0% år 2026." in fig.alt
    assert "Planperioden 2023–2026 är skuggad." in fig.alt and "Planperioden 2023–2026 är skuggad." in fig.caption
    assert b">Planperiod<" in fig.path.read_bytes()
    before = chart(tiny_dataset, tiny_plan, tmp_path / "before", year=2022)  # no year of the plan period shown
    assert "Planperiod" not in before.alt and b"Planperiod" not in before.path.read_bytes()


def _font_sizes_px_on_phone(svg: str) -> list[float]:
    """Each text's rendered size in CSS px on a phone's content width: its size in SVG user units × (the width
    shown / the viewBox's width), the width shown being the SVG's CSS width capped at the content width."""
    root = re.search(r"<svg[^>]*>", svg).group(0)
    css_width = float(re.search(r' width="([\d.]+)px"', root).group(1))
    view_width = float(re.search(r' viewBox="0 0 ([\d.]+) [\d.]+"', root).group(1))
    shown = min(css_width, figures.PHONE_WIDTH)
    texts = re.findall(r"<text [^>]*>", svg)
    assert texts
    for text in texts:  # no scaling between the user units and the text
        assert "scale" not in text and "matrix" not in text
    return [float(m) * shown / view_width for t in texts for m in re.findall(r"font-size: ([\d.]+)px", t)]


def test_chart_text_is_at_least_12_px_on_a_phone(tiny_dataset, tiny_plan, tmp_path):
    for index, kind in ((0, "trend"), (1, "trend"), (2, "cumulative")):
        fig = chart(tiny_dataset, tiny_plan, tmp_path, index=index, kind=kind)
        svg = fig.path.read_text(encoding="utf-8")
        sizes = _font_sizes_px_on_phone(svg)
        assert len(sizes) == svg.count("<text ")  # every text has its size
        assert min(sizes) >= figures.MIN_PHONE_FONT_PX, (fig.path.name, min(sizes))
        assert f'width="{figures.CSS_WIDTH}px"' in svg  # sized in CSS px: a desktop shows it at that width


def test_a_chart_without_values_draws_no_legend(tiny_dataset, tiny_plan, tmp_path, drawn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns about a legend without lines
        fig = chart(tiny_dataset, tiny_plan, tmp_path, index=1, year=2022)  # N00002 starts in 2023
    assert "Inga värden finns för perioden." in fig.alt
    assert list(fig.table.columns) == ["År"] and fig.table["År"].tolist() == [2022]
    assert drawn[-1].axes[0].get_legend() is None
