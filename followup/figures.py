"""Trend charts: an indicator over the last years, the municipality against Riket and the peer mean.

Charts are written as SVG files (vector graphics for the PDF) with deterministic bytes, and shown in the
book through a MyST figure directive that carries the alt text, the caption and the source.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from . import analysis, fmt  # noqa: E402
from .constants import EXAMPLE_NOTE, TREND_YEARS  # noqa: E402
from .data import Dataset  # noqa: E402
from .plan import GoalArea, Indicator, Plan  # noqa: E402

# Okabe–Ito colours, and a line style and marker per series: never colour alone.
STYLES = {
    "municipality": {"color": "#0072B2", "linestyle": "-", "marker": "o", "linewidth": 2.4},
    "national": {"color": "#D55E00", "linestyle": "--", "marker": "s", "linewidth": 1.6},
    "peers": {"color": "#009E73", "linestyle": ":", "marker": "^", "linewidth": 1.8},
}


def setup() -> None:
    """Matplotlib settings for deterministic, readable SVG charts."""
    sns.set_theme(style="whitegrid", context="notebook", font="DejaVu Sans")
    matplotlib.rcParams.update(
        {
            "svg.hashsalt": "borlange-followup",  # fixed ids inside the SVG
            "svg.fonttype": "none",  # text stays text: searchable, selectable in the PDF
            "figure.dpi": 100,
            "axes.titlesize": 12,
            "axes.titleweight": "bold",
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

    def directive(self, relative_to: Path, provenance: str = "") -> str:
        """The MyST figure: the image with its alt text and caption, and its provenance as the legend."""
        rel = Path(self.path).relative_to(relative_to).as_posix()
        legend = f"\n\n{provenance}" if provenance else ""
        return (
            f":::{{figure}} {rel}\n:alt: {self.alt}\n:name: {self.name}\n:width: 100%\n\n{self.caption}{legend}\n:::\n"
        )


def source_text(ds: Dataset, plan: Plan, ind: Indicator, computed: bool = True) -> str:
    """The source line: raw values credited to Kolada (and its producer); computed values as our own."""
    if ind.is_kolada:
        producer = ds.producer(ind.id)
        text = f"Källa: Kolada, {ind.id}" + (f" ({producer})" if producer else "") + "."
        if computed:
            text += " Medelvärde för liknande kommuner: egen beräkning på data från Kolada."
        return text
    return f"Källa: {ds.local_sources.get(ind.id, ind.supplier)} (lokal uppgift)."


def _save(fig, ax, ds: Dataset, path: Path) -> Path:
    """Legend below the plot, the example note when example data is shown, and deterministic SVG bytes."""
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False, fontsize=9)
    if ds.is_example:
        fig.text(0.99, 0.01, EXAMPLE_NOTE, ha="right", va="bottom", fontsize=8, color="#6b6b6b")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return path


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
    """Draw the indicator's trend and write it as SVG under out_dir; return the figure's text parts."""
    muni = plan.municipality
    first_year = max(ds.years[0], year - TREND_YEARS + 1, _first_value_year(ds, ind.id, year))
    years = analysis.published_years(ds, ind, first_year, year)  # a biennial KPI: every second year
    lines = _trend_lines(ds, plan, ind, years)
    breaks = [br for br in ind.breaks if first_year < br.year <= year]

    fig, ax = plt.subplots(figsize=(8, 4.2))
    drawn = _draw_lines(ax, lines, years, ind.breaks)
    _draw_breaks(ax, breaks)
    ax.set_title(ind.short_title, loc="left")
    ax.set_ylabel(ind.unit)
    ax.set_xticks(years, [str(y) for y in years], fontsize=9)
    ax.set_xlim(first_year - 0.4, year + 0.4)
    ax.yaxis.set_major_formatter(axis_formatter(ind.unit, ind.decimals))
    ax.margins(y=0.15)
    path = _save(fig, ax, ds, out_dir / f"{area.slug}-{ind.id.lower()}.svg")

    period = fmt.year_range(first_year, year)
    own_values = lines[0][2]  # the municipality's line comes first
    gaps = [
        f"{y} ({analysis.missing_reason(ds, ind, muni.id, y)})"
        for y, v in zip(years, own_values, strict=True)
        if math.isnan(v)
    ]
    alt = _trend_alt(ind, period, years, drawn, breaks)
    caption = _trend_caption(ds, plan, ind, period, gaps, breaks, [label for label, _ in drawn])
    return Figure(path, f"fig-{area.slug}-{ind.id.lower()}", alt.replace("\n", " "), caption)


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


def _draw_lines(ax, lines, years: list[int], breaks) -> list[tuple[str, list[float]]]:
    """Plot each line that has a value, cut at the series breaks; return the (label, values) drawn."""
    drawn = []
    for key, label, values in lines:
        if all(math.isnan(v) for v in values):
            continue
        for i, (seg_years, seg_values) in enumerate(_segments(years, values, breaks)):
            ax.plot(seg_years, seg_values, label=label if i == 0 else None, markersize=5, **STYLES[key])
        drawn.append((label, values))
    return drawn


def _draw_breaks(ax, breaks) -> None:
    """A dashed vertical line, labelled, before the first year of each new series."""
    for br in breaks:
        ax.axvline(br.year - 0.5, color="#444444", linestyle=(0, (4, 3)), linewidth=1)
        ax.annotate(
            "Tidsseriebrott",
            xy=(br.year - 0.5, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize=8,
            color="#444444",
        )


def _trend_alt(ind: Indicator, period: str, years: list[int], drawn, breaks) -> str:
    """Alt text: what the chart shows, with the first and last values of each line, and the series breaks."""
    parts = []
    for label, values in drawn:
        known = [(y, v) for y, v in zip(years, values, strict=True) if not math.isnan(v)]
        (y0, v0), (y1, v1) = known[0], known[-1]
        parts.append(f"{label} {ind.show(v0)} år {y0} och {ind.show(v1)} år {y1}")
    alt = f"Linjediagram: {ind.short_title} ({ind.unit}), {period}. " + (
        "; ".join(parts) + "." if parts else "Inga värden finns för perioden."
    )
    return alt + "".join(f" Tidsseriebrott {br.year}." for br in breaks)


def _trend_caption(
    ds: Dataset, plan: Plan, ind: Indicator, period: str, gaps: list[str], breaks, drawn: list[str]
) -> str:
    """The caption (MyST Markdown): what is compared (the lines drawn; a comparison without values is named),
    the years without a value, the series breaks, the source."""
    muni = plan.municipality
    compared = ""
    if ind.is_kolada:
        has_riket = plan.comparison.name in drawn
        compared = " jämfört med riket och liknande kommuner" if has_riket else " jämfört med liknande kommuner"
    caption = f"{md_escape(ind.short_title)}, {md_escape(muni.name)}{compared}, {period}."
    if ind.is_kolada and plan.comparison.name not in drawn:
        caption += f" {md_escape(plan.comparison.name)} har inget värde för perioden i Kolada."
    if ind.is_kolada and ds.biennial(ind.id):
        caption += " Publiceras vartannat år."
    if gaps:
        caption += f" Värde saknas för {md_escape(muni.name)}: {md_escape(', '.join(gaps))}."
    for br in breaks:
        caption += f" Tidsseriebrott {br.year}: {md_escape(br.note)}; linjerna binds inte ihop över brottet."
    caption += f" {md_escape(source_text(ds, plan, ind))}"
    if ds.is_example:
        caption += f" **{EXAMPLE_NOTE}.**"
    return caption


def cumulative_chart(ds: Dataset, plan: Plan, area: GoalArea, ind: Indicator, year: int, out_dir: Path) -> Figure:
    """A cumulative target over the plan period: the yearly values as bars, their running total as a line,
    and the target as a horizontal line (e.g. dwellings built so far against 1 500)."""
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
    fig, ax = plt.subplots(figsize=(8, 4.2))
    ax.bar(
        years,
        [0 if math.isnan(v) else v for v in yearly],
        color="#56B4E9",
        edgecolor="#0072B2",
        hatch="//",
        label="Per år",
    )
    ax.plot(years, running, label="Sammanlagt", **STYLES["municipality"])
    ax.axhline(
        t.value, color="#D55E00", linestyle="--", linewidth=1.6, label=f"Mål: minst {fmt.number(t.value, ind.decimals)}"
    )
    ax.set_title(f"{ind.short_title}, sammanlagt {fmt.year_range(plan.period_start, plan.period_end)}", loc="left")
    ax.set_ylabel(ind.unit)
    ax.set_xticks(years, [str(y) for y in years], fontsize=9)
    ax.yaxis.set_major_formatter(axis_formatter(ind.unit, ind.decimals))
    ax.set_ylim(0, max(t.value, total) * 1.12)
    path = _save(fig, ax, ds, out_dir / f"{area.slug}-{ind.id.lower()}-sammanlagt.svg")
    done = [(y, v) for y, v in zip(years, yearly, strict=True) if y <= year]
    missing = [str(y) for y, v in done if math.isnan(v)]
    per_year = "; ".join(f"{y}: {fmt.number(v, ind.decimals)}" for y, v in done if not math.isnan(v))
    last_year = max((y for y, v in done if not math.isnan(v)), default=None)
    alt = (
        f"Stapeldiagram med linje: {ind.short_title} per år {fmt.year_range(plan.period_start, year)} "
        f"({per_year}), sammanlagt {fmt.number(total, ind.decimals)}"
        + (f" till och med {last_year}" if last_year else "")
        + f", mot målet minst {fmt.number(t.value, ind.decimals)} under "
        f"{fmt.year_range(plan.period_start, plan.period_end)}."
    )
    caption = (
        f"{md_escape(ind.short_title)} under planperioden, per år och sammanlagt, mot målet. "
        + (f"Värde saknas för {', '.join(missing)}; räknas inte med i summan. " if missing else "")
        + "Summan: egen beräkning. "
        + md_escape(source_text(ds, plan, ind, computed=False))
    )
    if ds.is_example:
        caption += f" **{EXAMPLE_NOTE}.**"
    return Figure(path, f"fig-{area.slug}-{ind.id.lower()}-sammanlagt", alt, caption)
