"""Diff a company's current targets against its target history.

Pure functions (`targets_from_facts`, `diff_targets`) do the logic; warehouse.history applies
the result inside the load transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from common.metrics import METRICS
from common.schema import Fact
from transforms.normalize import canonical_value, scope_group, target_key

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


@dataclass
class Change:
    case_no: int
    key: str
    metric: str
    change: str  # changed | added | withdrawn
    old: Target | None
    new: Target | None


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
                          rep.status, rep.base_year, scope_group(rep.scope))
    return out


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
    return changes
