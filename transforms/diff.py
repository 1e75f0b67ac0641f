"""Diff a company's current targets against its target history.

Pure functions (`targets_from_facts`, `diff_targets`) do the logic; warehouse.load applies
the result inside the load transaction.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from carbonwatch.schema import Fact
from transforms.normalize import canonical_value, target_key

# A share that moves by no more than this many points is rounding, not a change.
SHARE_TOLERANCE = 0.5


@dataclass
class Target:
    """One tracked target of a company: every fact under one target key, merged."""

    key: str
    metric: str
    value: str  # canonical values joined by '; ' (sorted)
    year: int | None
    number: float | None
    page: int | None
    evidence: str | None
    document_id: str | None = None


@dataclass
class Change:
    case_no: int
    key: str
    metric: str
    change: str  # changed | added | withdrawn
    old: Target | None
    new: Target | None


def targets_from_facts(facts: list[Fact], document_id: str | None = None) -> dict[str, Target]:
    by_key: dict[str, list[Fact]] = {}
    for f in facts:
        by_key.setdefault(target_key(f), []).append(f)
    out = {}
    for key, group in by_key.items():
        group.sort(key=lambda f: (f.page or 0))
        first = group[0]
        value = "; ".join(sorted({canonical_value(f) for f in group}))
        number = first.value if isinstance(first.value, (int, float)) and not isinstance(first.value, bool) else None
        out[key] = Target(key, first.metric, value, first.year, number, first.page, first.evidence, document_id)
    return out


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?=%)")


def _same(old: str, new: str, metric: str) -> bool:
    if old == new:
        return True
    if metric == "green_power_share":
        a, b = _NUMBER.findall(old), _NUMBER.findall(new)
        if a and b and len(a) == len(b):
            return all(abs(float(x) - float(y)) <= SHARE_TOLERANCE for x, y in zip(sorted(a), sorted(b)))
    return False


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
