"""The review list: facts the pipeline does not trust enough to change a target or raise an alert.

A fact below the review confidence (common.settings.review_confidence), or one that would
overwrite a value an analyst accepted with less confidence than that value, waits in
`review_items` with the change it would make. An analyst accepts or rejects it
(`carbonwatch review`); decisions hold per company + target + value (`review_id`), so a rejected
value never alerts again, even re-extracted from a later report, and an accepted one is trusted
(confidence 1.0) wherever it reappears. `screen_facts` and `ReviewWrites` run inside the history
update (warehouse.history), for every company at once; `decide` there applies a decision.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from common.schema import Fact
from transforms.diff import Target, diff_targets, targets_from_facts
from transforms.normalize import canonical_value, fact_id, is_progress, review_id, target_key
from warehouse.db import insert_rows, rows

DECISIONS = ("accepted", "rejected")


@dataclass
class Screened:
    """A report's facts for one company, sorted by what they may do."""

    trusted: list[Fact] = field(default_factory=list)        # change targets and alert
    pending: list[tuple[Fact, str]] = field(default_factory=list)  # (fact, reason): wait for review
    rejected: list[Fact] = field(default_factory=list)       # an analyst rejected the value
    held_keys: set[str] = field(default_factory=set)         # keys with a waiting or rejected fact
    accepted_keys: set[str] = field(default_factory=set)     # keys with an accepted fact


def screen_facts(case_no: int, facts: list[Fact], threshold: float, statuses: dict[str, str]) -> Screened:
    """Trusted: accepted by an analyst (then counted as confidence 1.0), or at least `threshold`
    sure and not rejected. A key with a waiting or rejected fact is *held*: its absence from the
    trusted facts is no withdrawal. `statuses`: the company's review items (review_id -> status)."""
    out = Screened()
    for f in facts:
        key = target_key(f)
        status = statuses.get(review_id(case_no, key, canonical_value(f)))
        confidence = 1.0 if f.confidence is None else float(f.confidence)
        if status == "rejected":
            out.rejected.append(f)
            out.held_keys.add(key)
        elif status == "accepted":
            out.trusted.append(replace(f, confidence=1.0))
            out.accepted_keys.add(key)
        elif confidence < threshold:
            out.pending.append((f, f"confidence {confidence:.2f} < {threshold:g}"))
            out.held_keys.add(key)
        else:
            out.trusted.append(f)
    return out


def overriding_facts(trusted: list[Fact], old: Target, new: Target) -> list[tuple[Fact, str]]:
    """The facts of a change held because it would overwrite an accepted value with less
    confidence: those whose value the accepted one does not already hold."""
    kept = set(old.value.split("; "))
    reason = f"would overwrite an accepted value (confidence {new.confidence:.2f} < {old.confidence:.2f})"
    return [(f, reason) for f in trusted if target_key(f) == old.key and canonical_value(f) not in kept]


def _would_change(case_no: int, f: Fact, trusted: list[Fact], old: dict[str, Target],
                  document_id: str) -> tuple[str | None, str | None, str | None]:
    """(change, old value, new value) the target would see if this fact were trusted too."""
    key = target_key(f)
    trial = targets_from_facts([g for g in trusted if target_key(g) == key] + [f], document_id)
    found = diff_targets(case_no, {key: old[key]} if key in old else {}, trial)
    if not found:
        return None, old[key].value if key in old else None, None
    ch = found[0]
    return ch.change, ch.old and ch.old.value, ch.new and ch.new.value


REVIEW_COLUMNS = {"review_id": "VARCHAR", "case_no": "INTEGER", "company": "VARCHAR", "metric": "VARCHAR",
                  "target_key": "VARCHAR", "value": "VARCHAR", "status": "VARCHAR", "reason": "VARCHAR",
                  "confidence": "DOUBLE", "rule": "VARCHAR", "fact_id": "VARCHAR", "document_id": "VARCHAR",
                  "page": "INTEGER", "evidence": "VARCHAR", "change": "VARCHAR", "old_value": "VARCHAR",
                  "new_value": "VARCHAR", "would_alert": "BOOLEAN", "first_run_id": "VARCHAR",
                  "first_seen_at": "TIMESTAMP", "last_run_id": "VARCHAR", "last_seen_at": "TIMESTAMP"}


@dataclass
class ReviewWrites:
    """The review-item writes of one history update, every company's together (one statement
    per kind): waiting facts to upsert, decided items seen again, pending items superseded."""

    upserts: list[list] = field(default_factory=list)
    seen_again: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)

    def add(self, run_id: str, company: dict, document_id: str, screened: Screened,
            held: list[tuple[Fact, str]], trusted: list[Fact], old: dict[str, Target],
            baseline: bool, now: datetime, existing: dict[str, str]) -> int:
        """One company's report: its waiting facts are upserted; decided values seen again
        only note when; its other waiting items (`existing`: review_id -> status) are no longer
        in its current report (superseded). Returns how many items wait."""
        case_no = company["case_no"]
        waiting: dict[str, list] = {}
        for f, reason in screened.pending + held:
            key = target_key(f)
            rid = review_id(case_no, key, canonical_value(f))
            change, old_value, new_value = _would_change(case_no, f, trusted, old, document_id)
            would_alert = change is not None and not baseline and not is_progress(key)
            waiting.setdefault(rid, [rid, case_no, company.get("name"), f.metric, key, canonical_value(f), "pending",
                                     reason, f.confidence, f.rule, fact_id(document_id, f), document_id, f.page,
                                     f.evidence, change, old_value, new_value, would_alert, run_id, now, run_id, now])
        self.upserts += [row for rid, row in waiting.items() if existing.get(rid) not in DECISIONS]
        self.seen_again += [review_id(case_no, target_key(f), canonical_value(f)) for f in screened.rejected]
        self.seen_again += [rid for rid in waiting if existing.get(rid) in DECISIONS]
        self.superseded += [rid for rid, status in existing.items() if status == "pending" and rid not in waiting]
        return len(waiting)


def write_review_items(con, writes: ReviewWrites, run_id: str, now: datetime) -> None:
    """Every company's review-item writes, one statement per kind (inside the caller's
    transaction). The three sets are disjoint: an upsert is never a decided or a gone item."""
    insert_rows(con, "review_items", REVIEW_COLUMNS, writes.upserts, conflict=(
        "ON CONFLICT (review_id) DO UPDATE SET status = 'pending', reason = excluded.reason, "
        "confidence = excluded.confidence, rule = excluded.rule, fact_id = excluded.fact_id, "
        "document_id = excluded.document_id, page = excluded.page, evidence = excluded.evidence, "
        "change = excluded.change, old_value = excluded.old_value, new_value = excluded.new_value, "
        "would_alert = excluded.would_alert, last_run_id = excluded.last_run_id, last_seen_at = excluded.last_seen_at"))
    if writes.seen_again:
        con.execute("UPDATE review_items SET last_run_id = ?, last_seen_at = ? "
                    "WHERE review_id IN (SELECT unnest(?::VARCHAR[]))", [run_id, now, writes.seen_again])
    if writes.superseded:
        con.execute("UPDATE review_items SET status = 'superseded' WHERE review_id IN (SELECT unnest(?::VARCHAR[]))",
                    [writes.superseded])


def resolve_ids(con, ids: list[str]) -> list[dict]:
    """The review items named by ids or unique id prefixes (at least 4 characters)."""
    found = []
    for given in ids:
        given = given.strip().lower()
        if len(given) < 4:
            raise ValueError(f"review id {given!r} is too short: give at least 4 characters")
        matches = rows(con, "SELECT * FROM review_items WHERE review_id LIKE ? || '%'", [given])
        if not matches:
            raise ValueError(f"no review item {given!r} (carbonwatch review --all lists them)")
        if len(matches) > 1:
            raise ValueError(f"review id {given!r} is ambiguous: {', '.join(m['review_id'] for m in matches)}")
        found.append(matches[0])
    return found


def record_decision(con, item: dict, decision: str, reviewer: str | None, note: str | None,
                    run_id: str, now: datetime) -> None:
    """Mark the item decided and log the decision (inside the caller's transaction)."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}, got {decision!r}")
    con.execute("UPDATE review_items SET status = ?, decided_at = ?, reviewer = ?, note = ? WHERE review_id = ?",
                [decision, now, reviewer, note, item["review_id"]])
    con.execute("INSERT INTO review_decisions (review_id, decision, reviewer, note, decided_at, run_id) "
                "VALUES (?, ?, ?, ?, ?, ?)", [item["review_id"], decision, reviewer, note, now, run_id])
