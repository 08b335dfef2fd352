"""Severity levels and the assessment rules that suggest one.

Criteria are data. A criterion is either a flag ("full outage", "PII exposure") or a band on a
measured metric ("error rate 1-10%"). The suggested level is the most severe level among the
criteria whose lower bound the input reaches; the band's upper end only decides which criteria are
*reported* as matching. Ignoring the upper end for the decision is what makes the rule monotone:
more impact (another flag, a higher number) can never lower the suggestion, whatever the config.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from firebell.core.errors import Invalid


@dataclass(frozen=True)
class SeverityLevel:
    key: str  # "P1"
    rank: int  # 0 is the most severe
    name: str = ""
    acknowledge_within: timedelta | None = None
    recover_within: timedelta | None = None
    update_every: timedelta | None = None


@dataclass(frozen=True)
class Criterion:
    name: str
    severity: str
    description: str = ""
    flag: str | None = None
    metric: str | None = None
    min: float | None = None  # inclusive lower bound
    above: float | None = None  # exclusive lower bound
    max: float | None = None  # inclusive upper end of the band (reporting only)

    def reached(self, flags: frozenset[str], metrics: Mapping[str, float]) -> bool:
        if self.flag is not None:
            return self.flag in flags
        if self.metric is None or self.metric not in metrics:
            return False
        value = metrics[self.metric]
        if self.min is not None and value < self.min:
            return False
        return not (self.above is not None and value <= self.above)

    def lower_bound(self) -> float:
        if self.min is not None:
            return self.min
        return self.above if self.above is not None else float("-inf")

    def within_band(self, metrics: Mapping[str, float]) -> bool:
        if self.metric is None or self.max is None:
            return True
        return metrics[self.metric] <= self.max


@dataclass(frozen=True)
class Assessment:
    level: SeverityLevel
    matched: list[Criterion] = field(default_factory=list)
    reason: str = ""


def known_inputs(criteria: Iterable[Criterion]) -> tuple[set[str], set[str]]:
    flags = {c.flag for c in criteria if c.flag is not None}
    metrics = {c.metric for c in criteria if c.metric is not None}
    return flags, metrics


def assess(
    levels: Sequence[SeverityLevel],
    criteria: Sequence[Criterion],
    flags: Iterable[str],
    metrics: Mapping[str, float],
) -> Assessment:
    """Suggest a level for the observed impact. Unknown flag or metric names are refused, so a typo
    cannot quietly produce a milder suggestion."""
    if not levels:
        raise Invalid("no severity levels are configured")
    flag_set = frozenset(flags)
    known_flags, known_metrics = known_inputs(criteria)
    unknown = sorted((flag_set - known_flags) | (set(metrics) - known_metrics))
    if unknown:
        raise Invalid(
            f"unknown impact signal(s): {', '.join(unknown)}; "
            f"flags: {', '.join(sorted(known_flags)) or 'none'}; "
            f"metrics: {', '.join(sorted(known_metrics)) or 'none'}"
        )
    by_key = {level.key: level for level in levels}
    least_severe = max(levels, key=lambda lv: lv.rank)
    reached = [c for c in criteria if c.reached(flag_set, metrics)]
    if not reached:
        return Assessment(level=least_severe, matched=[], reason="no criterion matched")
    decisive = min(reached, key=lambda c: by_key[c.severity].rank)
    return Assessment(
        level=by_key[decisive.severity],
        matched=_reported(reached, metrics, decisive),
        reason=f"matched {decisive.name!r}",
    )


def _reported(reached: list[Criterion], metrics: Mapping[str, float], decisive: Criterion) -> list[Criterion]:
    """Criteria to show: flags, per metric the bands the value lies in (where the value is past
    every band's end, the highest band it reached), and always the criterion that decided."""
    shown = [c for c in reached if c.flag is not None]
    by_metric: dict[str, list[Criterion]] = {}
    for c in reached:
        if c.metric is not None:
            by_metric.setdefault(c.metric, []).append(c)
    for group in by_metric.values():
        in_band = [c for c in group if c.within_band(metrics)]
        shown.extend(in_band or [max(group, key=lambda c: c.lower_bound())])
    if decisive not in shown:
        shown.append(decisive)
    return shown


def signals_of(checked: Iterable[Criterion]) -> tuple[frozenset[str], dict[str, float]]:
    """The impact a form's ticked criteria describe, as `assess` takes it: each flag criterion's
    flag, and for a band on a metric the lowest value in it (several bands of one metric: the
    highest of those). Ticking more criteria can only describe more impact."""
    flags = frozenset(c.flag for c in checked if c.flag is not None)
    metrics: dict[str, float] = {}
    for c in checked:
        if c.flag is None and c.metric is not None:
            low = c.lower_bound()
            if low == float("-inf"):
                low = c.max if c.max is not None else 0.0
            elif c.min is None:  # exclusive lower bound: the smallest value past it
                low = math.nextafter(low, math.inf)
            metrics[c.metric] = max(low, metrics.get(c.metric, low))
    return flags, metrics
