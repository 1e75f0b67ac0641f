"""Normalise facts and name the target each fact belongs to (repeats within a document are
dropped by the extractor; a re-load adds nothing because facts are keyed by `fact_id`).

A company's *target* is identified by metric + normalised scope (its "target key"); its
*value* is the canonical text of every fact under that key (e.g. '2050', '100% by 2030').
What a target metric (kind year or percent) has already *achieved* is its own key
(`interim_target|company|achieved`): progress is compared with progress, never with the target.
History, change alerts and review decisions work on these keys and values.
"""
from __future__ import annotations

import hashlib
import json
import re

from common.metrics import METRICS
from common.schema import FACT_IDENTITY, Fact

# Scope texts are free; group them into the few scopes analysts compare targets on.
_SCOPE_GROUPS = (
    ("value_chain", re.compile(r"value chain|scope ?3|supply chain|价值链|供应链|范围\s*3|全产业链|全生命周期", re.I)),
    ("operations", re.compile(r"operation|scope ?1|scope ?2|运营|自身|范围\s*[12一二]", re.I)),
)


def scope_group(scope: str | None) -> str:
    """'operations' / 'value_chain' / 'company' (unspecified) / the scope text itself."""
    if not scope:
        return "company"
    text = scope.strip()
    for name, pattern in _SCOPE_GROUPS:
        if pattern.search(text):
            return name
    if text.lower() in {"group", "company", "enterprise", "集团", "公司", "企业"}:
        return "company"
    return text.lower()[:60]


def _num(x: float | None) -> str:
    if x is None:
        return "?"
    return f"{float(x):g}"


def canonical_value(f: Fact) -> str:
    """The comparable value of a fact, as text an analyst can read in an alert."""
    spec = METRICS.get(f.metric)
    if spec is None:
        return json.dumps(f.to_dict(), ensure_ascii=False, sort_keys=True)
    return spec.canonical.format(
        year=f.year, value=_num(f.value), base=f" vs {f.base_year}" if f.base_year else "",
        achieved=" (achieved)" if f.status == "achieved" else "", in_year=f" in {f.year}" if f.year else "",
        stage=spec.stages.get(f.status, f.status))


# Kinds whose `status` says whether the value is a goal or a result: the two are different
# numbers (a 45% reduction achieved is no 42% reduction target), so each gets its own key.
# (A share is always achieved; SBTi's status is its value; RE100 membership has none.)
GOAL_KINDS = ("year", "percent")
ACHIEVED_SUFFIX = "|achieved"


def target_key(f: Fact) -> str:
    spec = METRICS.get(f.metric)
    achieved = f.status == "achieved" and spec is not None and spec.kind in GOAL_KINDS
    return f"{f.metric}|{scope_group(f.scope)}" + (ACHIEVED_SUFFIX if achieved else "")


def is_progress(key: str) -> bool:
    """An achieved value of a target metric: kept in history, never an alert of its own."""
    return key.endswith(ACHIEVED_SUFFIX)


def review_id(case_no: int, key: str, value: str) -> str:
    """One review decision per company, target and value: the same value re-extracted from a
    later document is the same item (a rejected value stays rejected)."""
    payload = json.dumps([case_no, key, value], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def fact_id(document_id: str, f: Fact) -> str:
    payload = json.dumps([document_id] + [getattr(f, k) for k in FACT_IDENTITY], ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:32]

