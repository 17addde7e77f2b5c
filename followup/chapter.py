"""What the notebooks call: a goal area's chapter and the overview, as displayed outputs.

The notebooks stay thin: they load a context with their parameters and call one function per section.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from IPython.display import HTML, Markdown, display

from . import analysis, figures, fmt
from .data import EXAMPLE_NOTE, Dataset, check_plan_against_data, load_dataset
from .errors import FollowupError
from .figures import md_escape
from .plan import GoalArea, Plan, load_plan

FIGURE_DIR = "figures"  # relative to the executed notebook


@dataclass
class Context:
    plan: Plan
    data: Dataset
    year: int
    municipality: str

    @classmethod
    def load(cls, plan_path, data_dir, report_year: int, municipality: str) -> "Context":
        plan = load_plan(plan_path)
        ds = load_dataset(data_dir)
        check_plan_against_data(plan, ds)
        if municipality != plan.municipality.id:
            raise FollowupError(f"municipality {municipality!r}: the plan {plan_path} is for "
                                f"{plan.municipality.name} ({plan.municipality.id})")
        figures.setup()
        return cls(plan, ds, int(report_year), municipality)

    def summaries(self, area: GoalArea) -> list[analysis.IndicatorSummary]:
        return [analysis.summarise(self.data, self.plan, ind, self.year, self.municipality)
                for ind in area.indicators]

    def example_note(self) -> str:
        return f" **{EXAMPLE_NOTE}.**" if self.data.is_example else ""


def sources_paragraph(ctx: Context, indicators) -> str:
    """The source note under a table: Kolada ids with producers, local suppliers, our own computations."""
    kolada = [i for i in indicators if i.is_kolada]
    local = [i for i in indicators if not i.is_kolada]
    parts = []
    if kolada:
        ids = ", ".join(i.id for i in kolada)
        producers = sorted({p for p in (ctx.data.producer(i.id) for i in kolada) if p})
        text = f"Källa: Kolada ({ids})"
        if producers:
            text += f", ursprunglig producent {', '.join(producers)}"
        parts.append(text + ".")
    for i in local:
        parts.append(f"Källa för {i.short_title.lower()}: {ctx.data.local_sources.get(i.id, i.supplier)}.")
    parts.append("Förändring och medelvärde för liknande kommuner: egen beräkning på data från Kolada.")
    return md_escape(" ".join(parts))


def show_indicator_table(ctx: Context, slug: str) -> None:
    area = ctx.plan.area(slug)
    table = analysis.indicator_table_display(ctx.summaries(area))
    caption = f"Indikatorer för {area.title}, {ctx.plan.municipality.name}, senaste värde till och med {ctx.year}"
    display(HTML(analysis.table_html(table, f"tab-{slug}-indikatorer", caption)))
    notes = [sources_paragraph(ctx, area.indicators)]
    notes.append("Förändring mot föregående år med värde; för andelar i procentenheter (p.e.). "
                 "Riket och liknande kommuner avser samma år som det senaste värdet. "
                 "Liknande kommuner: " + md_escape(_peer_names(ctx)) + ".")
    display(Markdown("\n\n".join(notes) + ctx.example_note()))


def _peer_names(ctx: Context) -> str:
    group = ctx.data.groups[ctx.plan.peer_group.id]
    return ", ".join(m["member_title"] for m in group["members"])


def show_trends(ctx: Context, slug: str, figure_dir: str = FIGURE_DIR) -> None:
    area = ctx.plan.area(slug)
    for ind in area.indicators:
        fig = figures.trend_chart(ctx.data, ctx.plan, area, ind, ctx.year, Path(figure_dir) / slug)
        display(Markdown(fig.directive(Path("."))))


OVERVIEW_COLUMNS = ["Målområde", "Indikator", "Senaste värde", "År", "Förändring", "Riket"]


def show_overview(ctx: Context) -> None:
    rows = []
    for area in ctx.plan.goal_areas:
        for s in ctx.summaries(area):
            ind, d = s.indicator, s.indicator.decimals
            rows.append({
                "Målområde": area.title,
                "Indikator": ind.short_title,
                "Senaste värde": fmt.value(s.latest.value, ind.unit, d) if s.latest else fmt.DASH,
                "År": str(s.latest.year) if s.latest else fmt.DASH,
                "Förändring": fmt.value_change(s.change, ind.unit, d),
                "Riket": fmt.value(s.national.value, ind.unit, d) if s.national else fmt.DASH,
            })
    import pandas as pd

    table = pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)
    caption = (f"Alla målområden och deras indikatorer, {ctx.plan.municipality.name}, "
               f"senaste värde till och med {ctx.year}")
    display(HTML(analysis.table_html(table, "tab-oversikt", caption)))
    all_inds = [ind for _, ind in ctx.plan.indicators()]
    display(Markdown(sources_paragraph(ctx, all_inds) + ctx.example_note()))
