"""Trend charts: an indicator over the last years, the municipality against Riket and the peer mean.

Charts are written as SVG files (vector graphics for the PDF) with deterministic bytes, and shown in the
book through a MyST figure directive that carries the alt text, the caption and the source. Each Figure also
carries the numbers it draws as a table (Figure.table), the text alternative a complex image needs.

The charts are designed as a set. One palette for the whole report, safe for colour-blind readers (Okabe–Ito
blue and vermillion, and greys): the municipality is emphasised (strong blue, a thick line, round markers),
Riket and the peer mean are muted greys, each with its own dash pattern and marker, so colour is never the
only cue. The target is a line where the indicator has a target value, the plan period is shaded, the lines
are labelled at their ends (a legend below the chart when the labels would collide), and the y ticks step in
round numbers. A chart is drawn small with large text (WIDTH_IN × HEIGHT_IN inches, no text under FONT_PT
points, one point being one SVG user unit) and its SVG is sized in CSS pixels (CSS_WIDTH wide): a desktop
shows it CSS_WIDTH px wide, and a phone scales it down to its content width (PHONE_WIDTH px on a 390 px
phone) with its text still at least MIN_PHONE_FONT_PX px.
"""

from __future__ import annotations

import math
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.transforms as mtransforms  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.layout_engine import TightLayoutEngine  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from . import analysis, assessment, fmt  # noqa: E402
from .constants import EXAMPLE_NOTE, TREND_YEARS  # noqa: E402
from .data import Dataset  # noqa: E402
from .plan import GoalArea, Indicator, Plan  # noqa: E402

# The size of a chart and its text. One SVG user unit is one point (matplotlib writes SVG at 72 dpi).
WIDTH_IN, HEIGHT_IN = 5.0, 3.7
FONT_PT = 13  # every text but the title
TITLE_PT = 14
CSS_WIDTH = 440  # the SVG's width in CSS px: the chart's width on a desktop (116 mm in print); a phone scales it down
PHONE_WIDTH = 340  # the content width of a 390 px wide phone, in CSS px (measured: 342 px in this theme)
MIN_PHONE_FONT_PX = 12  # the smallest chart text on that phone

# The palette. Lines of at least 3:1 contrast against white; text of at least 4.5:1.
STYLES = {
    "municipality": {"color": "#0072B2", "linestyle": "-", "marker": "o", "linewidth": 2.8, "markersize": 6},
    "national": {"color": "#4D4D4D", "linestyle": (0, (5, 2.5)), "marker": "s", "linewidth": 1.5, "markersize": 4.5},
    "peers": {"color": "#8C8C8C", "linestyle": (0, (1.2, 1.6)), "marker": "^", "linewidth": 2, "markersize": 5},
    "target": {"color": "#D55E00", "linestyle": (0, (7, 2, 1.5, 2)), "linewidth": 1.7},
    "pace": {"color": "#D55E00", "linestyle": (0, (2.5, 2)), "linewidth": 1.7},
}
TEXT_COLORS = {
    "municipality": "#0072B2",
    "national": "#4D4D4D",
    "peers": "#5E5E5E",
    "target": "#A64A00",
    "pace": "#A64A00",
}
Z_ORDER = {"municipality": 5, "national": 4, "peers": 4, "target": 3, "pace": 3}
BAR_STYLE = {"color": "#A6D3F0", "edgecolor": "#0072B2", "hatch": "//", "linewidth": 0.8}
PERIOD_SHADE = "#E9EEF4"  # the plan period's band
MUTED_TEXT = "#4D4D4D"  # notes in a chart: the plan period, a series break, the example-data note
LABEL_WRAP = 12  # characters per line of a label at a line's end
TITLE_WRAP = 36  # characters per line of a chart's title

PERIOD_LABEL = "Planperiod"
BREAK_LABEL = "Tidsseriebrott"
PER_YEAR, RUNNING_TOTAL, PACE = "Per år", "Sammanlagt", "Mål i jämn takt"
YEAR = "År"  # the first column of a figure's table


def setup() -> None:
    """Matplotlib settings for deterministic, readable SVG charts."""
    sns.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "borlange-followup",  # fixed ids inside the SVG
            "svg.fonttype": "none",  # text stays text: searchable, selectable in the PDF
            "figure.dpi": 100,
            # the family's fallbacks are written into the SVG too: a phone without DejaVu Sans shows a sans-serif
            "font.family": ["sans-serif"],
            "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
            "font.size": FONT_PT,
            "axes.titlesize": TITLE_PT,
            "axes.titleweight": "bold",
            "axes.labelsize": FONT_PT,
            "xtick.labelsize": FONT_PT,
            "ytick.labelsize": FONT_PT,
            "legend.fontsize": FONT_PT,
            "text.color": "#1A1A1A",
            "axes.labelcolor": "#1A1A1A",
            "xtick.color": "#333333",
            "ytick.color": "#333333",
            "grid.color": "#DDDDDD",
        }
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|~$])")


def md_escape(text: str) -> str:
    """Text as literal MyST Markdown (data such as KPI descriptions is text, never markup)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def axis_formatter(unit: str, decimals: int) -> FuncFormatter:
    share = fmt.is_share(unit)

    def label(x, _pos):
        d = decimals if abs(x - round(x)) > 1e-9 else 0
        return fmt.percent(x, d) if share else fmt.number(x, d)

    return FuncFormatter(label)


@dataclass(frozen=True)
class Figure:
    path: Path  # the SVG file written
    name: str  # the label of the figure, e.g. fig-skolan-n15428
    alt: str
    caption: str  # MyST Markdown
    # The numbers the chart draws: "År" (int), then a column per line named as its label (float, NaN for a gap).
    table: pd.DataFrame | None = field(default=None, compare=False)

    def directive(self, relative_to: Path) -> str:
        """The MyST figure: the image with its alt text and caption (its provenance goes under it, see
        followup.chapter). The image is CSS_WIDTH px wide (the SVG's own width; the page's CSS caps it at the
        content width)."""
        rel = Path(self.path).relative_to(relative_to).as_posix()
        return (
            f":::{{figure}} {rel}\n:alt: {self.alt}\n:name: {self.name}\n:width: {CSS_WIDTH}px\n\n{self.caption}\n:::\n"
        )


def chart_table(years: list[int], columns: list[tuple[str, list[float]]]) -> pd.DataFrame:
    """A figure's numbers: the year, then one column per drawn line named as its label (NaN for a gap)."""
    names = [YEAR] + [label for label, _ in columns]
    if len(set(names)) != len(names):
        raise ValueError(f"a chart's table needs distinct column names, got {names}")
    data = {YEAR: pd.Series(years, dtype="int64")}
    for label, values in columns:
        if len(values) != len(years):
            raise ValueError(f"the line {label!r} has {len(values)} values for {len(years)} years")
        data[label] = pd.Series([math.nan if v is None else float(v) for v in values], dtype="float64")
    return pd.DataFrame(data)


def source_text(ds: Dataset, plan: Plan, ind: Indicator, computed: bool = True) -> str:
    """The source line: raw values credited to Kolada (and its producer); computed values as our own."""
    if ind.is_kolada:
        producer = ds.producer(ind.id)
        text = f"Källa: Kolada, {ind.id}" + (f" ({producer})" if producer else "") + "."
        if computed:
            text += " Medelvärde för liknande kommuner: egen beräkning på data från Kolada."
        return text
    return f"Källa: {ds.local_sources.get(ind.id, ind.supplier)} (lokal uppgift)."


def _new_chart():
    return plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN))


def _titles(ax, title: str, unit: str) -> None:
    """The title (wrapped) above the plot, left-aligned, and the unit under it in place of a y axis label."""
    ax.set_title(textwrap.fill(title, TITLE_WRAP), loc="left", pad=FONT_PT + 9)
    ax.annotate(
        unit,
        xy=(0, 1),
        xycoords="axes fraction",
        xytext=(0, 5),
        textcoords="offset points",
        ha="left",
        va="bottom",
        color=MUTED_TEXT,
    )


def _y_axis(ax, ind: Indicator, values: list[float], top_room: float) -> None:
    """Round tick steps, Swedish labels, and room above the lines (`top_room`: a share of the span) for the
    notes at the plot's top. A quantity that cannot be negative keeps its axis at zero or above."""
    known = [v for v in values if not math.isnan(v)]
    if known:
        lo, hi = min(known), max(known)
        span = (hi - lo) or (abs(hi) * 0.2) or 1.0
        bottom = lo - 0.12 * span
        if lo >= 0 > bottom:
            bottom = 0.0
        ax.set_ylim(bottom, hi + (0.12 + top_room) * span)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))
    ax.yaxis.set_major_formatter(axis_formatter(ind.unit, ind.decimals))


def _x_ticks(fig, ax, years: list[int]) -> None:
    """A tick at each year; a label at every year that has room (always the last year, then every n-th back)."""
    width_pt = ax.get_window_extent().width * 72 / fig.dpi
    fits = max(1, int(width_pt // (FONT_PT * 0.62 * 4 + 8)))  # a year is four digits
    step = math.ceil(len(years) / fits)
    labels = [str(y) if (len(years) - 1 - i) % step == 0 else "" for i, y in enumerate(years)]
    ax.set_xticks(years, labels)


def _last_known(values: list[float]) -> float | None:
    known = [v for v in values if not math.isnan(v)]
    return known[-1] if known else None


def _save(fig, ax, ds: Dataset, path: Path, years: list[int], ends: list[tuple[str, str, float]]) -> Path:
    """Lay the chart out and write it: the lines labelled at their ends (`ends`: style key, label, y of the
    line's end) where the labels fit apart, else a legend below the plot; the example note when example data
    is shown; deterministic SVG bytes, sized in CSS px."""
    note = (FONT_PT * 1.6) / (HEIGHT_IN * 72) if ds.is_example else 0.0
    if ds.is_example:
        fig.text(0.99, 0.012, EXAMPLE_NOTE, ha="right", va="bottom", color=MUTED_TEXT)
    # Laid out without a layout engine left on the figure: `fig.tight_layout` leaves a placeholder engine
    # behind, and savefig then draws the figure once more before it draws it to the file. The same SVG, with
    # about a quarter less work.
    layout = TightLayoutEngine(pad=0.4, rect=(0, note, 1, 1))
    labels = _end_labels(ax, ends)
    layout.execute(fig)
    if not labels or not _place_end_labels(fig, ax, labels):
        for text in labels:
            text.remove()
        _legend(fig, ax)
        layout.execute(fig)
    _x_ticks(fig, ax, years)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    _size_in_css_px(path)
    return path


def _end_labels(ax, ends: list[tuple[str, str, float]]) -> list:
    """A label for each line, right of the plot at the height of the line's end (placed by _place_end_labels)."""
    x_end = ax.get_xlim()[1]
    return [
        ax.annotate(
            textwrap.fill(label, LABEL_WRAP),
            xy=(x_end, y),
            xycoords="data",
            xytext=(6, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            color=TEXT_COLORS[key],
            fontweight="bold" if key == "municipality" else "normal",
            annotation_clip=False,
        )
        for key, label, y in ends
    ]


def _place_end_labels(fig, ax, labels) -> bool:
    """Move the end labels apart vertically where they overlap; False (nothing moved) when that would take a
    label more than a line from its line's end, out of the plot's height, or leave the plot too narrow."""
    if ax.get_window_extent().width < 0.55 * fig.bbox.width:
        return False
    renderer = fig.canvas.get_renderer()
    gap = 2 * fig.dpi / 72
    line = FONT_PT * 1.25 * fig.dpi / 72
    items = sorted(
        ((ax.transData.transform(t.xy)[1], t.get_window_extent(renderer).height, t) for t in labels),
        key=lambda item: item[0],
    )
    placed = []
    for want, height, _text in items:  # from the lowest up: push each label above the one below
        y = want
        if placed:
            below, below_h = placed[-1]
            y = max(want, below + (below_h + height) / 2 + gap)
        placed.append((y, height))
    top = ax.bbox.y1 + line / 2
    overflow = placed[-1][0] + placed[-1][1] / 2 - top
    if overflow > 0:  # then from the top down
        shifted = []
        for y, height in reversed(placed):
            y = y - overflow if not shifted else min(y, shifted[-1][0] - (shifted[-1][1] + height) / 2 - gap)
            shifted.append((y, height))
        placed = list(reversed(shifted))
    bottom = ax.bbox.y0 - line / 2
    for (want, height, _), (y, _h) in zip(items, placed, strict=True):
        if abs(y - want) > line or y - height / 2 < bottom or y + height / 2 > top:
            return False
    for (want, _, text), (y, _h) in zip(items, placed, strict=True):
        text.xyann = (6, (y - want) * 72 / fig.dpi)
    return True


def _legend(fig, ax) -> None:
    """The legend below the plot (under the year labels): two columns where they fit in the width, else one;
    none when nothing is drawn."""
    if not ax.get_legend_handles_labels()[0]:
        return
    below = mtransforms.ScaledTranslation(0, -(FONT_PT + 8) / 72, fig.dpi_scale_trans)
    kwargs = {
        "loc": "upper center",
        "bbox_to_anchor": (0.5, 0),
        "bbox_transform": ax.transAxes + below,
        "frameon": False,
        "handlelength": 2.4,
        "columnspacing": 1.2,
    }
    legend = ax.legend(ncol=2, **kwargs)
    if legend.get_window_extent(fig.canvas.get_renderer()).width > fig.bbox.width * 0.98:
        legend.remove()
        ax.legend(ncol=1, **kwargs)


_SVG_SIZE = re.compile(r'<svg([^>]*?) width="([\d.]+)pt" height="([\d.]+)pt"')


def _size_in_css_px(path: Path) -> None:
    """Give the SVG its width and height in CSS px (CSS_WIDTH wide) instead of points: a browser shows it at
    that size, scaled down to the content width on a narrow screen; the viewBox (in points) is kept."""
    text = path.read_text(encoding="utf-8")
    m = _SVG_SIZE.search(text)
    if not m:
        raise ValueError(f"{path}: no <svg> element with a width and height in pt")
    width, height = float(m.group(2)), float(m.group(3))
    size = f'<svg{m.group(1)} width="{CSS_WIDTH}px" height="{CSS_WIDTH * height / width:.1f}px"'
    path.write_text(text[: m.start()] + size + text[m.end() :], encoding="utf-8", newline="\n")


def _shade_plan_period(ax, plan: Plan, first: float, last: float) -> str | None:
    """Shade the plan period's years within [first, last] (the x axis' limits), labelled at the band's top
    right; return the period as text, or None when the chart shows no year of it."""
    x0, x1 = max(plan.period_start - 0.5, first), min(plan.period_end + 0.5, last)
    if x0 >= x1:
        return None
    ax.axvspan(x0, x1, color=PERIOD_SHADE, zorder=0, linewidth=0)
    ax.annotate(
        PERIOD_LABEL,
        xy=(x1, 1),
        xycoords=("data", "axes fraction"),
        xytext=(-4, -4),
        textcoords="offset points",
        ha="right",
        va="top",
        color=MUTED_TEXT,
    )
    return fmt.year_range(plan.period_start, plan.period_end)


def _target_label(ind: Indicator) -> str | None:
    """The label of a trend chart's target line: for the rule "value" (a target value), e.g. "Mål: minst
    85,0 %"; None for rules without a value of their own (improvement, Riket, the peers) and for a cumulative
    target (a total over the plan period, drawn in the cumulative chart)."""
    t = ind.target
    if t is None or t.rule != "value" or t.value is None:
        return None
    return f"Mål: {'minst' if ind.higher_is_better else 'högst'} {ind.show(t.value)}"


def _segments(years: list[int], values: list[float], breaks) -> list[tuple[list[int], list[float]]]:
    """The series cut at each break, so that no line joins values across a series break."""
    cuts = [b.year for b in breaks]
    out, cur_y, cur_v = [], [], []
    for y, v in zip(years, values, strict=True):
        if y in cuts and cur_y:
            out.append((cur_y, cur_v))
            cur_y, cur_v = [], []
        cur_y.append(y)
        cur_v.append(v)
    if cur_y:
        out.append((cur_y, cur_v))
    return out


def _first_value_year(ds: Dataset, indicator: str, year: int) -> int:
    """The first year any place has a value: a series that starts late is not drawn as years of gaps."""
    v = ds.values
    rows = v[(v["indicator"] == indicator) & (v["year"] <= year)].dropna(subset=["value"])
    return int(rows["year"].min()) if len(rows) else year


def trend_chart(ds: Dataset, plan: Plan, area: GoalArea, ind: Indicator, year: int, out_dir: Path) -> Figure:
    """Draw the indicator's trend and write it as SVG under out_dir; return the figure's text parts and its
    numbers (the lines drawn, and the target line where the indicator has a target value)."""
    muni = plan.municipality
    first_year = max(ds.years[0], year - TREND_YEARS + 1, _first_value_year(ds, ind.id, year))
    years = analysis.published_years(ds, ind, first_year, year)  # a biennial KPI: every second year
    lines = _trend_lines(ds, plan, ind, years)
    breaks = [br for br in ind.breaks if first_year < br.year <= year]

    fig, ax = _new_chart()
    xlim = (first_year - 0.4, year + 0.4)
    ax.set_xlim(*xlim)
    period = _shade_plan_period(ax, plan, *xlim)
    drawn = _draw_lines(ax, lines, years, ind.breaks)
    columns = [(label, values) for _key, label, values in drawn]
    ends = [(key, label, _last_known(values)) for key, label, values in drawn]
    target = _target_label(ind)
    if target:
        ax.axhline(ind.target.value, label=target, zorder=Z_ORDER["target"], **STYLES["target"])
        columns.append((target, [ind.target.value] * len(years)))
        ends.append(("target", target, ind.target.value))
    _draw_breaks(ax, breaks)
    _titles(ax, ind.short_title, ind.unit)
    _y_axis(ax, ind, [v for _label, values in columns for v in values], top_room=0.18 if period else 0.0)
    path = _save(fig, ax, ds, out_dir / f"{area.slug}-{ind.id.lower()}.svg", years, ends)

    span = fmt.year_range(first_year, year)
    own_values = lines[0][2]  # the municipality's line comes first
    gaps = [
        f"{y} ({analysis.missing_reason(ds, ind, muni.id, y)})"
        for y, v in zip(years, own_values, strict=True)
        if math.isnan(v)
    ]
    drawn_lines = [(label, values) for _key, label, values in drawn]
    alt = _trend_alt(ind, span, years, drawn_lines, breaks, period)
    caption = _trend_caption(ds, plan, ind, span, gaps, breaks, [label for label, _ in drawn_lines], period)
    return Figure(
        path, f"fig-{area.slug}-{ind.id.lower()}", alt.replace("\n", " "), caption, chart_table(years, columns)
    )


def _trend_lines(ds: Dataset, plan: Plan, ind: Indicator, years: list[int]) -> list[tuple[str, str, list[float]]]:
    """The lines of a trend chart as (style key, label, a value per year): the municipality first, then (for a
    Kolada indicator) Riket and the peer mean."""
    muni = plan.municipality
    own = analysis.series(ds, ind.id, muni.id).set_index("year").reindex(years)
    lines = [("municipality", muni.name, own["value"].tolist())]
    if ind.is_kolada:
        nat = analysis.series(ds, ind.id, plan.comparison.id).set_index("year").reindex(years)
        lines.append(("national", plan.comparison.name, nat["value"].tolist()))
        peers = analysis.peer_mean_series(ds, ind.id, plan.peer_group.id, years)
        lines.append(("peers", "Liknande kommuner (medel)", [p.value for p in peers]))
    return lines


def _draw_lines(ax, lines, years: list[int], breaks) -> list[tuple[str, str, list[float]]]:
    """Plot each line that has a value, cut at the series breaks; return the (style key, label, values) drawn.
    A line's first piece carries its label; the pieces after a break carry it with a leading "_" (matplotlib
    leaves those out of a legend)."""
    drawn = []
    for key, label, values in lines:
        if all(math.isnan(v) for v in values):
            continue
        for i, (seg_years, seg_values) in enumerate(_segments(years, values, breaks)):
            ax.plot(seg_years, seg_values, label=label if i == 0 else f"_{label}", zorder=Z_ORDER[key], **STYLES[key])
        drawn.append((key, label, values))
    return drawn


def _draw_breaks(ax, breaks) -> None:
    """A dashed vertical line, labelled at the plot's foot, before the first year of each new series."""
    for br in breaks:
        ax.axvline(br.year - 0.5, color=MUTED_TEXT, linestyle=(0, (4, 3)), linewidth=1.2, zorder=2)
        ax.annotate(
            BREAK_LABEL,
            xy=(br.year - 0.5, 0),
            xycoords=("data", "axes fraction"),
            xytext=(4, 4),
            textcoords="offset points",
            ha="left",
            va="bottom",
            color=MUTED_TEXT,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
            zorder=2.5,  # under the lines: the label never hides a value
        )


def _target_text(ind: Indicator) -> str:
    """The target of a trend chart's target line in words, e.g. "målet minst 85,0 % år 2026"."""
    t = ind.target
    return f"målet {'minst' if ind.higher_is_better else 'högst'} {ind.show(t.value)}" + (
        f" år {t.year}" if t.year else ""
    )


def _trend_alt(ind: Indicator, span: str, years: list[int], drawn, breaks, period: str | None) -> str:
    """Alt text: what the chart shows, with the first and last values of each line, the target line, the
    plan period and the series breaks."""
    parts = []
    for label, values in drawn:
        known = [(y, v) for y, v in zip(years, values, strict=True) if not math.isnan(v)]
        (y0, v0), (y1, v1) = known[0], known[-1]
        parts.append(f"{label} {ind.show(v0)} år {y0} och {ind.show(v1)} år {y1}")
    alt = f"Linjediagram: {ind.short_title} ({ind.unit}), {span}. " + (
        "; ".join(parts) + "." if parts else "Inga värden finns för perioden."
    )
    if _target_label(ind):
        alt += f" En linje visar {_target_text(ind)}."
    if period:
        alt += f" Planperioden {period} är skuggad."
    return alt + "".join(f" Tidsseriebrott {br.year}." for br in breaks)


def _trend_caption(
    ds: Dataset,
    plan: Plan,
    ind: Indicator,
    span: str,
    gaps: list[str],
    breaks,
    drawn: list[str],
    period: str | None,
) -> str:
    """The caption (MyST Markdown): what is compared (the lines drawn; a comparison without values is named),
    the target line and the shaded plan period, the years without a value, the series breaks, the source."""
    muni = plan.municipality
    compared = ""
    if ind.is_kolada:
        has_riket = plan.comparison.name in drawn
        compared = " jämfört med riket och liknande kommuner" if has_riket else " jämfört med liknande kommuner"
    caption = f"{md_escape(ind.short_title)}, {md_escape(muni.name)}{compared}, {span}."
    if ind.is_kolada and plan.comparison.name not in drawn:
        caption += f" {md_escape(plan.comparison.name)} har inget värde för perioden i Kolada."
    if ind.is_kolada and ds.biennial(ind.id):
        caption += " Publiceras vartannat år."
    if _target_label(ind):
        caption += f" Linjen Mål visar {md_escape(_target_text(ind))}."
    if period:
        caption += f" Planperioden {period} är skuggad."
    if gaps:
        caption += f" Värde saknas för {md_escape(muni.name)}: {md_escape(', '.join(gaps))}."
    for br in breaks:
        caption += f" Tidsseriebrott {br.year}: {md_escape(br.note)}; linjerna binds inte ihop över brottet."
    caption += f" {md_escape(source_text(ds, plan, ind))}"
    if ds.is_example:
        caption += f" **{EXAMPLE_NOTE}.**"
    return caption


def cumulative_chart(ds: Dataset, plan: Plan, area: GoalArea, ind: Indicator, year: int, out_dir: Path) -> Figure:
    """A cumulative target over the plan period: the yearly values as bars, their running total as a line, the
    target as a horizontal line, and the pace that reaches it evenly (assessment.required_pace) as a sloped
    line (e.g. dwellings built so far against 1 500). The whole chart is the plan period: nothing is shaded."""
    t = ind.target
    years = list(range(plan.period_start, plan.period_end + 1))
    s = analysis.series(ds, ind.id, plan.municipality.id).set_index("year").reindex(years)
    yearly = [v if y <= year else math.nan for y, v in zip(years, s["value"].tolist(), strict=True)]
    running, total = [], 0.0
    for y, v in zip(years, yearly, strict=True):
        if y > year:
            running.append(math.nan)
            continue
        total += 0.0 if math.isnan(v) else v
        running.append(total)
    pace = [assessment.required_pace(plan, t.value, y) for y in years]
    target = f"Mål: minst {ind.show(t.value)}"

    fig, ax = _new_chart()
    ax.bar(years, [0 if math.isnan(v) else v for v in yearly], label=PER_YEAR, zorder=2, **BAR_STYLE)
    ax.plot(years, running, label=RUNNING_TOTAL, zorder=Z_ORDER["municipality"], **STYLES["municipality"])
    ax.plot(years, pace, label=PACE, zorder=Z_ORDER["pace"], **STYLES["pace"])
    ax.axhline(t.value, label=target, zorder=Z_ORDER["target"], **STYLES["target"])
    ax.set_xlim(years[0] - 0.6, years[-1] + 0.6)
    _titles(ax, f"{ind.short_title}, sammanlagt {fmt.year_range(plan.period_start, plan.period_end)}", ind.unit)
    _y_axis(ax, ind, [0.0, t.value, total], top_room=0.0)
    ax.grid(axis="x", visible=False)
    # Bars and a line meeting the target at the period's end leave no room for labels at the ends: a legend.
    path = _save(fig, ax, ds, out_dir / f"{area.slug}-{ind.id.lower()}-sammanlagt.svg", years, ends=[])
    table = chart_table(
        years, [(PER_YEAR, yearly), (RUNNING_TOTAL, running), (PACE, pace), (target, [t.value] * len(years))]
    )

    done = [(y, v) for y, v in zip(years, yearly, strict=True) if y <= year]
    missing = [str(y) for y, v in done if math.isnan(v)]
    per_year = "; ".join(f"{y}: {fmt.number(v, ind.decimals)}" for y, v in done if not math.isnan(v))
    last_year = max((y for y, v in done if not math.isnan(v)), default=None)
    period = fmt.year_range(plan.period_start, plan.period_end)
    alt = (
        f"Stapeldiagram med linjer: {ind.short_title} per år {fmt.year_range(plan.period_start, year)} "
        f"({per_year}), sammanlagt {fmt.number(total, ind.decimals)}"
        + (f" till och med {last_year}" if last_year else "")
        + f", mot målet minst {fmt.number(t.value, ind.decimals)} under {period}"
        + f" och den jämna takt som når målet {plan.period_end}."
    )
    caption = (
        f"{md_escape(ind.short_title)} under planperioden, per år och sammanlagt, mot målet och mot den jämna "
        f"takt som når målet {plan.period_end}. "
        + (f"Värde saknas för {', '.join(missing)}; räknas inte med i summan. " if missing else "")
        + "Summan: egen beräkning. "
        + md_escape(source_text(ds, plan, ind, computed=False))
    )
    if ds.is_example:
        caption += f" **{EXAMPLE_NOTE}.**"
    return Figure(path, f"fig-{area.slug}-{ind.id.lower()}-sammanlagt", alt, caption, table)
