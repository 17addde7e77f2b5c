"""Goal assessment: a verdict per indicator by its declared rule, a roll-up per goal area, and the
direction of travel and comparisons, each kept separate from the verdict.

Every verdict carries the sentence that states its rule and inputs ("Uppfyllt: 81,3 % år 2025, målet är
minst 80,0 % (exempelmål)."), made here from the same numbers the verdict was computed from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import analysis, fmt, statuses
from .constants import (
    ALL_VERDICTS,
    BETTER,
    MET,
    NOT_MET,
    OFF_PACE,
    ON_PACE,
    PACE_CLASS,
    PACE_VERDICTS,
    PARTLY,
    PARTLY_ON_PACE,
    SAME,
    SYMBOLS,
    UNKNOWN,
    VERDICTS,
    WORSE,
)
from .data import Dataset
from .plan import GoalArea, Indicator, Plan

WORDS = {
    MET: "Uppfyllt",
    PARTLY: "Delvis uppfyllt",
    NOT_MET: "Ej uppfyllt",  # how a wording starts
    ON_PACE: "I fas",
    PARTLY_ON_PACE: "Delvis i fas",
    OFF_PACE: "Ej i fas",
}


def label(verdict: str) -> str:
    """Symbol and word: a verdict is never shown by colour alone."""
    return f"{SYMBOLS[verdict]} {verdict[0].upper()}{verdict[1:]}"


def target_source(ind: Indicator) -> str:
    t = ind.target
    if t.source == "council":
        return f"beslut {t.decision}, {t.decision_date}"
    if t.source == "plan":
        return "mål i strategiska planen"
    return "exempelmål"


@dataclass(frozen=True)
class Verdict:
    indicator: Indicator
    verdict: str
    year: int | None  # the year judged (the latest with a value); None when nothing could be judged
    value: float  # the value judged (for cumulative: the total so far)
    reference: float  # what it was judged against: target, baseline, Riket or peer mean
    wording: str  # the sentence beside the verdict, with the rule and its inputs
    inputs: dict = field(default_factory=dict)


def _d(ind: Indicator, x: float) -> str:
    """A distance in the indicator's unit ("1,0 p.e." for shares)."""
    text = fmt.number(abs(x), ind.decimals)
    return text + ("\u00a0p.e." if fmt.is_share(ind.unit) else "")


def _judge(gap: float, tolerance: float | None, strict: bool) -> str:
    """gap > 0 (or >= 0 when not strict) is met; within the tolerance short of it is partly met."""
    if gap > 0 or (gap == 0 and not strict):
        return MET
    if tolerance is not None and gap >= -tolerance:
        return PARTLY
    return NOT_MET


def _gap(ind: Indicator, value: float, reference: float) -> float:
    """Signed distance to the reference in the good direction, between the values as the page shows them
    (rounded to the indicator's decimals): the verdict always agrees with the numbers beside it, and float
    noise never decides a tie."""
    shown_value, shown_reference = fmt.rounded(value, ind.decimals), fmt.rounded(reference, ind.decimals)
    raw = (shown_value - shown_reference) if ind.higher_is_better else (shown_reference - shown_value)
    return round(raw, ind.decimals + 2)


def _unknown(ind: Indicator, reason: str, year: int | None = None, **inputs) -> Verdict:
    return Verdict(ind, UNKNOWN, year, math.nan, math.nan, f"Kan ej bedömas: {reason}.", inputs)


def _tail(ind: Indicator, verdict: str) -> str:
    t = ind.target
    extra = ""
    if verdict == PARTLY and t.tolerance is not None:
        extra = f"; delvis uppfyllt inom {_d(ind, t.tolerance)}"
    return f"{extra} ({target_source(ind)})."


def assess(ds: Dataset, plan: Plan, ind: Indicator, year: int) -> Verdict:
    """Judge one indicator for a report year by its declared rule."""
    t, muni = ind.target, plan.municipality.id
    if ind.id in ds.removed_kpis:
        return _unknown(ind, "nyckeltalet har upphört i Kolada")
    if not ind.is_kolada and analysis.not_delivered(analysis.point(ds, ind.id, muni, year)):
        return Verdict(
            ind,
            UNKNOWN,
            None,
            math.nan,
            math.nan,
            f"Kan ej bedömas – uppgift från {ind.supplier} saknas för {year}.",
            {"missing_delivery": year},
        )
    if t.rule == "cumulative":
        return _cumulative(ds, plan, ind, year)
    last = analysis.latest(ds, ind.id, muni, up_to=year)
    if last is None:
        return _unknown(ind, f"inget värde till och med {year} ({analysis.missing_reason(ds, ind, muni, year)})")
    return _LATEST_RULES[t.rule](ds, plan, ind, last)


def _by_value(ds: Dataset, plan: Plan, ind: Indicator, last: analysis.Point) -> Verdict:
    """The rule 'value': the latest value reaches the target value, or is within the tolerance of it."""
    t = ind.target
    verdict = _judge(_gap(ind, last.value, t.value), t.tolerance, strict=False)
    bound = "minst" if ind.higher_is_better else "högst"
    target = f"målet är {bound} {ind.show(t.value)}" + (f" år {t.year}" if t.year else "")
    return Verdict(
        ind,
        verdict,
        last.year,
        last.value,
        t.value,
        f"{WORDS[verdict]}: {_at(ind, last)}, {target}{_tail(ind, verdict)}",
        {"target": t.value},
    )


def _by_improvement(ds: Dataset, plan: Plan, ind: Indicator, last: analysis.Point) -> Verdict:
    """The rule 'improvement': the latest value is better than the baseline year's, with no series break between."""
    t, muni = ind.target, plan.municipality.id
    base = analysis.point(ds, ind.id, muni, t.baseline_year)
    if base.missing:
        reason = analysis.missing_reason(ds, ind, muni, t.baseline_year)
        return _unknown(ind, f"värde för basåret {t.baseline_year} saknas ({reason})", last.year)
    if last.year <= t.baseline_year:
        return _unknown(
            ind, f"inget värde efter basåret {t.baseline_year} än; senaste värde är från {last.year}", last.year
        )
    broken = _break_between(ind, t.baseline_year, last.year)
    if broken:
        return _unknown(
            ind,
            f"tidsseriebrott {broken.year} ({broken.note}); {t.baseline_year} och {last.year} är inte jämförbara",
            last.year,
        )
    verdict = _judge(_gap(ind, last.value, base.value), t.tolerance, strict=True)
    goal = "högre" if ind.higher_is_better else "lägre"
    return Verdict(
        ind,
        verdict,
        last.year,
        last.value,
        base.value,
        f"{WORDS[verdict]}: {_at(ind, last)} mot {ind.show(base.value)} år {t.baseline_year}; målet är "
        f"ett {goal} värde än basåret{_tail(ind, verdict)}",
        {"baseline": base.value},
    )


def _by_national(ds: Dataset, plan: Plan, ind: Indicator, last: analysis.Point) -> Verdict:
    """The rule 'national': better than Riket in the same year."""
    ref = analysis.point(ds, ind.id, plan.comparison.id, last.year)
    if ref.missing:
        reason = statuses.swedish(ref.status) or "inget värde för riket i Kolada"
        return _unknown(ind, f"{plan.comparison.name} saknar värde år {last.year} ({reason})", last.year)
    name = plan.comparison.name.lower()
    return _better_than(ind, last, ref.value, f"för {name}", name, "national")


def _by_peers(ds: Dataset, plan: Plan, ind: Indicator, last: analysis.Point) -> Verdict:
    """The rule 'peers': better than the mean of similar municipalities in the same year."""
    peers = analysis.peer_mean(ds, ind.id, plan.peer_group.id, last.year)
    if peers.n == 0:
        return _unknown(ind, f"inga värden för liknande kommuner år {last.year}", last.year)
    return _better_than(
        ind, last, peers.value, f"i medel för liknande kommuner ({peers.n} av {peers.of})", "medelvärdet", "peers"
    )


# The rules judged on the latest value up to the report year ("cumulative" sums the plan period instead).
_LATEST_RULES = {"value": _by_value, "improvement": _by_improvement, "national": _by_national, "peers": _by_peers}


def _at(ind: Indicator, last: analysis.Point) -> str:
    return f"{ind.show(last.value)} år {last.year}"


def _better_than(ind: Indicator, last: analysis.Point, reference: float, whose: str, than: str, key: str) -> Verdict:
    """The rules 'better than Riket' and 'better than the peer mean': strictly better, or within the tolerance."""
    verdict = _judge(_gap(ind, last.value, reference), ind.target.tolerance, strict=True)
    return Verdict(
        ind,
        verdict,
        last.year,
        last.value,
        reference,
        f"{WORDS[verdict]}: {ind.show(last.value)} år {last.year} mot {ind.show(reference)} {whose}; "
        f"målet är att vara bättre än {than}{_tail(ind, verdict)}",
        {key: reference},
    )


def _cumulative(ds: Dataset, plan: Plan, ind: Indicator, year: int) -> Verdict:
    """A total over the plan period: in the period's last year (and after) the total against the target; in a
    year before it, the pace (see _pace)."""
    t, muni = ind.target, plan.municipality.id
    end = min(year, plan.period_end)
    years = list(range(plan.period_start, end + 1))
    s = analysis.series(ds, ind.id, muni).set_index("year")
    have = [y for y in years if y in s.index and not math.isnan(s.loc[y, "value"])]
    missing = [y for y in years if y not in have]
    if not have:
        return _unknown(ind, f"inga värden under planperioden till och med {end}")
    total = float(sum(s.loc[y, "value"] for y in have))
    if year < plan.period_end:
        return _pace(plan, ind, have, missing, total)
    period = fmt.year_range(plan.period_start, plan.period_end)
    so_far = fmt.year_range(have[0], have[-1])
    d = ind.decimals  # a cumulative target is a minimum ("minst"), compared as shown
    gap = round(fmt.rounded(total, d) - fmt.rounded(t.value, d), d + 2)
    partly = t.partial_share is not None and round(total - t.partial_share * t.value, d + 2) >= 0
    verdict = MET if gap >= 0 else (PARTLY if partly else NOT_MET)
    word = WORDS[verdict]
    text = f"{word}: {ind.show(total)} sammanlagt {so_far}, målet är minst {ind.show(t.value)} under {period}"
    if t.partial_share is not None and verdict != MET:
        text += f"; delvis uppfyllt från {fmt.percent(t.partial_share * 100, 0)} av målet"
    if missing:
        text += f"; värde saknas för {', '.join(map(str, missing))}"
    return Verdict(
        ind,
        verdict,
        have[-1],
        total,
        t.value,
        f"{text} ({target_source(ind)}).",
        {"years": have, "missing_years": missing},
    )


def required_pace(plan: Plan, target: float, year: int) -> float:
    """What a cumulative target needs by the end of `year` to be on pace: target × (years from the period's
    start through `year`) / (years in the period)."""
    span = plan.period_end - plan.period_start + 1
    return target * (year - plan.period_start + 1) / span


def _pace(plan: Plan, ind: Indicator, have: list[int], missing: list[int], total: float) -> Verdict:
    """Before the plan period's last year a cumulative target is judged on its pace, in the latest year with a
    value: "i fas" at or above the required pace, "delvis i fas" at or above `partial_share` of it, else "ej i
    fas". The sentence gives the total so far, the pace required by then and what remains per year."""
    t, d, y = ind.target, ind.decimals, have[-1]
    pace = required_pace(plan, t.value, y)
    gap = round(fmt.rounded(total, d) - fmt.rounded(pace, d), d + 2)
    partly = t.partial_share is not None and round(total - t.partial_share * pace, d + 2) >= 0
    verdict = ON_PACE if gap >= 0 else (PARTLY_ON_PACE if partly else OFF_PACE)
    text = (
        f"{WORDS[verdict]}: {ind.show(total)} sammanlagt {fmt.year_range(have[0], y)}; i fas mot "
        f"{ind.show(t.value)} år {plan.period_end} hade krävt {ind.show(pace)} till och med {y}"
    )
    remaining, left = t.value - total, plan.period_end - y
    if remaining <= 0:
        text += "; målet för hela planperioden är redan nått"
    else:
        text += f"; {ind.show(remaining)} återstår under {fmt.year_range(y + 1, plan.period_end)}"
        text += f", {ind.show(remaining / left)} per år" if left > 1 else ""
    if t.partial_share is not None and verdict != ON_PACE:
        text += f"; delvis i fas från {fmt.percent(t.partial_share * 100, 0)} av takten"
    if missing:
        text += f"; värde saknas för {', '.join(map(str, missing))}"
    return Verdict(
        ind, verdict, y, total, pace, f"{text} ({target_source(ind)}).", {"years": have, "missing_years": missing}
    )


def _break_between(ind: Indicator, a: int, b: int):
    """The first series break that separates years a < b, if any."""
    return next((br for br in ind.breaks if a < br.year <= b), None)


# ---------------------------------------------------------------- goal area roll-up


@dataclass(frozen=True)
class GoalVerdict:
    area: GoalArea
    verdict: str  # the computed verdict
    counts: dict  # verdict -> number of indicators
    wording: str
    override: str | None = None  # the analyst's verdict, if any
    justification: str | None = None

    @property
    def shown(self) -> str:
        return self.override or self.verdict

    @property
    def met_text(self) -> str:
        """ "2 av 5 indikatorer uppfyllda" (pace verdicts apart: ", 1 i fas")."""
        judged = sum(self.counts[v] for v in (MET, PARTLY, NOT_MET, *PACE_VERDICTS))
        return f"{self.counts[MET]} av {judged} indikatorer uppfyllda" + pace_text(self.counts)


PACE_COUNTED = {ON_PACE: "uppfyllt", PARTLY_ON_PACE: "delvis uppfyllt", OFF_PACE: "ej uppfyllt"}


def pace_text(counts: dict) -> str:
    """ ", 1 i fas" for the pace verdicts among the counts (a pace verdict never reads as a target reached)."""
    return "".join(f", {counts[v]} {v}" for v in PACE_VERDICTS if counts.get(v))


def roll_up(
    area: GoalArea, verdicts: list[Verdict], override: str | None = None, justification: str | None = None
) -> GoalVerdict:
    """The goal area's verdict by its declared rule: shares of the judged indicators ("kan ej bedömas"
    leaves the denominator but is counted and shown)."""
    if override is not None and override not in VERDICTS:
        raise ValueError(f"unknown verdict {override!r}")
    if override is not None and not (justification or "").strip():
        raise ValueError("an override needs a written justification")
    rule = area.assessment
    counts = {v: sum(1 for x in verdicts if x.verdict == v) for v in ALL_VERDICTS}
    # A pace verdict counts as its class ("i fas" as met, ...), but every count shown keeps it apart.
    classes = {v: counts[v] + sum(counts[p] for p, c in PACE_CLASS.items() if c == v) for v in VERDICTS}
    judged = classes[MET] + classes[PARTLY] + classes[NOT_MET]
    if judged == 0:
        verdict = UNKNOWN
    elif classes[MET] / judged >= rule.met_share - 1e-9:
        verdict = MET
    elif (classes[MET] + classes[PARTLY]) / judged >= rule.partly_share - 1e-9:
        verdict = PARTLY
    else:
        verdict = NOT_MET
    parts = [f"{counts[MET]} av {judged} bedömda indikatorer är uppfyllda"]
    if counts[PARTLY]:
        parts.append(f"{counts[PARTLY]} delvis")
    if counts[NOT_MET]:
        parts.append(f"{counts[NOT_MET]} inte")
    parts += [
        f"{counts[v]} {v} mot ett mål för hela planperioden (räknas som {PACE_COUNTED[v]})"
        for v in PACE_VERDICTS
        if counts[v]
    ]
    text = ", ".join(parts)
    if counts[UNKNOWN]:
        text += f"; {counts[UNKNOWN]} kan ej bedömas och räknas inte med"
    rule_text = (
        f"Regel: uppfyllt när minst {fmt.percent(rule.met_share * 100, 0)} av de bedömda indikatorerna "
        f"är uppfyllda, delvis uppfyllt när minst {fmt.percent(rule.partly_share * 100, 0)} är "
        f"uppfyllda eller delvis uppfyllda."
    )
    wording = f"{verdict[0].upper()}{verdict[1:]}: {text}. {rule_text}"
    return GoalVerdict(area, verdict, counts, wording, override, justification)


# ---------------------------------------------------------------- direction of travel and comparison


@dataclass(frozen=True)
class Direction:
    word: str  # bättre / oförändrad / sämre, or "–" with a reason
    text: str  # e.g. "bättre: 81,3 % år 2025 mot 78,1 % år 2024"


def _direction(ind: Indicator, new: analysis.Point | None, old: analysis.Point | None, what: str) -> Direction:
    if new is None or old is None:
        return Direction(fmt.DASH, f"{fmt.DASH} (inget {what} att jämföra med)")
    broken = _break_between(ind, old.year, new.year)
    if broken:
        return Direction(fmt.DASH, f"{fmt.DASH} (tidsseriebrott {broken.year}: {broken.note})")
    # Judged on the values as the page shows them (rounded to the indicator's decimals), like the verdicts.
    shown_new, shown_old = fmt.rounded(new.value, ind.decimals), fmt.rounded(old.value, ind.decimals)
    change = round(shown_new - shown_old, ind.decimals + 2)
    if abs(change) <= ind.unchanged_within:
        word = SAME
    else:
        word = BETTER if (change > 0) == ind.higher_is_better else WORSE
    return Direction(word, f"{word}: {ind.show(new.value)} år {new.year} mot {ind.show(old.value)} år {old.year}")


def directions(ds: Dataset, plan: Plan, ind: Indicator, year: int) -> tuple[Direction, Direction]:
    """Against the previous available value, and against the start of the plan period."""
    muni = plan.municipality.id
    last = analysis.latest(ds, ind.id, muni, up_to=year)
    prev = analysis.latest(ds, ind.id, muni, up_to=year, before=last.year) if last else None
    start = analysis.point(ds, ind.id, muni, plan.period_start)
    start = None if start.missing or (last and last.year <= plan.period_start) else start
    return (
        _direction(ind, last, prev, "tidigare värde"),
        _direction(ind, last, start, f"värde för {plan.period_start}"),
    )
