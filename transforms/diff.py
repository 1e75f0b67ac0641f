"""Diff a company's current targets against its target history.

Pure functions (`targets_from_facts`, `diff_targets`) do the logic; warehouse.history applies
the result inside the load transaction. Like is compared with like: a target key is metric +
scope group, and what a target metric has achieved is a key of its own (transforms.normalize),
so an achieved figure never "changes" a target. Such progress is history, not an alert; a goal
that disappears while its achievement appears alerts once, as the goal changed to achieved.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from common.metrics import METRICS
from common.schema import Fact
from transforms.normalize import ACHIEVED_SUFFIX, canonical_value, is_progress, scope_group, target_key

# A share or percentage that moves by no more than this many points is rounding, not a change.
SHARE_TOLERANCE = 0.5


@dataclass
class Target:
    """One tracked target of a company: every fact under one target key, merged.

    `value` is the comparable text (every canonical value under the key, sorted, joined by
    '; '); year/number/status/base_year/page/evidence come from the key's representative fact:
    the latest as-of year for a green-power share, the nearest open target year for an interim
    or renewable-electricity target, else the first fact by page.
    """

    key: str
    metric: str
    value: str
    year: int | None
    number: float | None
    page: int | None
    evidence: str | None
    document_id: str | None = None
    status: str | None = None
    base_year: int | None = None
    scope: str | None = None
    confidence: float = 1.0  # the least confident fact behind the value (an accepted fact counts 1.0)
    reviewed: bool = False   # an analyst accepted a fact behind the value (carbonwatch review)


@dataclass
class Change:
    """One change of a target's history. `alerts` is False for progress (an achieved key);
    `shown_change` / `shown_new` are what the alert says when it differs from the history step
    (a withdrawn goal whose achievement appeared: "changed" to the achieved value)."""

    case_no: int
    key: str
    metric: str
    change: str  # changed | added | withdrawn
    old: Target | None
    new: Target | None
    alerts: bool = True
    shown_change: str | None = None
    shown_new: Target | None = None


def _kind(metric: str) -> str | None:
    spec = METRICS.get(metric)
    return spec.kind if spec else None


def _representative(group: list[Fact]) -> Fact:
    kind = _kind(group[0].metric)
    if kind == "share":
        return max(group, key=lambda f: (f.year or 0, -(f.page or 0)))
    if kind == "percent":
        open_ = [f for f in group if f.status == "target" and f.year]
        if open_:
            return min(open_, key=lambda f: (f.year, f.page or 0))
    return group[0]


def targets_from_facts(facts: list[Fact], document_id: str | None = None) -> dict[str, Target]:
    by_key: dict[str, list[Fact]] = {}
    for f in facts:
        by_key.setdefault(target_key(f), []).append(f)
    out = {}
    for key, group in by_key.items():
        group.sort(key=lambda f: (f.page or 0))
        rep = _representative(group)
        value = "; ".join(sorted({canonical_value(f) for f in group}))
        number = rep.value if isinstance(rep.value, (int, float)) and not isinstance(rep.value, bool) else None
        out[key] = Target(key, rep.metric, value, rep.year, number, rep.page, rep.evidence, document_id,
                          rep.status, rep.base_year, scope_group(rep.scope),
                          min(_confidence(f) for f in group))
    return out


def _confidence(f: Fact) -> float:
    return 1.0 if f.confidence is None else float(f.confidence)


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?=%)")


def _same(old: str, new: str, metric: str) -> bool:
    """Equal values, or percentages that moved only within rounding.

    An achieved share (kind "share") is the same when every share is within SHARE_TOLERANCE (a new as-of
    year with the same share is no target change); percentage targets must also keep
    their years and base years."""
    if old == new:
        return True
    kind = _kind(metric)
    if kind not in ("share", "percent"):
        return False
    a, b = _NUMBER.findall(old), _NUMBER.findall(new)
    if not a or len(a) != len(b):
        return False
    if kind == "percent" and _NUMBER.sub("#", old) != _NUMBER.sub("#", new):
        return False
    pairs = zip(sorted(map(float, a)), sorted(map(float, b))) if kind == "share" \
        else zip(map(float, a), map(float, b))
    return all(abs(x - y) <= SHARE_TOLERANCE for x, y in pairs)


def diff_targets(case_no: int, old: dict[str, Target], new: dict[str, Target]) -> list[Change]:
    """Real changes between two target sets of one company (keys sorted, deterministic)."""
    changes = []
    for key in sorted(set(old) | set(new)):
        o, n = old.get(key), new.get(key)
        metric = (o or n).metric
        if o and n:
            if not _same(o.value, n.value, metric):
                changes.append(Change(case_no, key, metric, "changed", o, n))
        elif n:
            changes.append(Change(case_no, key, metric, "added", None, n))
        else:
            changes.append(Change(case_no, key, metric, "withdrawn", o, None))
    moved = {ch.key for ch in changes}
    for ch in changes:
        ch.alerts = not is_progress(ch.key)
        achieved = new.get(ch.key + ACHIEVED_SUFFIX)
        if ch.change == "withdrawn" and achieved and ch.key + ACHIEVED_SUFFIX in moved:
            ch.shown_change, ch.shown_new = "changed", achieved  # the goal was reached
    return changes
