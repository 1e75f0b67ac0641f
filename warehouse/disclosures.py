"""The disclosures log and the per-feed cursors: exactly-once streaming.

A poll's disclosures are *claimed* (one transaction): a new source_id becomes a `pending` row,
one seen before is a replay and adds nothing, a new source_id for a URL already claimed is a
`duplicate`. Pending rows (and failed ones with attempts left) go through the stages; `finish`
records each outcome and advances each feed's cursor to the newest published_at below its
oldest unfinished disclosure. A crash between claim and finish leaves rows pending: the next
start processes them again, and the loads are idempotent (documents by sha256, facts and
alerts by hash), so nothing is lost and nothing is repeated.
"""
from __future__ import annotations

from datetime import datetime

from common.settings import DEFAULT_RETRY_AFTER
from warehouse.db import rows, transaction

MAX_ATTEMPTS = 5  # a disclosure that failed this often is given up (it stays recorded with its error)
RETRY_AFTER = DEFAULT_RETRY_AFTER  # seconds before a failed disclosure is tried again, doubled per attempt
LEASE = 600.0  # seconds a claim by another owner (a concurrent Airflow run) is respected
FINISHED = ("done", "duplicate", "gave_up")


def utc_naive(value: str | datetime) -> datetime:
    """An ISO time (or datetime) as the naive-UTC TIMESTAMP the warehouse stores."""
    from datetime import timezone

    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def known_source_ids(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT source_id FROM disclosures").fetchall()}


def cursors(con) -> dict[str, str]:
    """feed -> its cursor as ISO UTC (feeds never finished are absent)."""
    return {feed: at.isoformat() + "Z" for feed, at in con.execute(
        "SELECT feed, cursor_published_at FROM feed_cursors WHERE cursor_published_at IS NOT NULL").fetchall()}


def record_polls(con, polls: list[dict], now: datetime) -> None:
    """Each feed's poll outcome: {"feed", "case_no", "error"} (error None when it answered)."""
    if not polls:
        return
    with transaction(con):
        for p in polls:
            failed = p.get("error") is not None
            con.execute(
                "INSERT INTO feed_cursors (feed, case_no, polls, errors, last_polled_at, last_ok_at, last_error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (feed) DO UPDATE SET "
                "polls = feed_cursors.polls + excluded.polls, errors = feed_cursors.errors + excluded.errors, "
                "last_polled_at = excluded.last_polled_at, "
                "last_ok_at = coalesce(excluded.last_ok_at, feed_cursors.last_ok_at), "
                "last_error = CASE WHEN excluded.errors > 0 THEN excluded.last_error ELSE feed_cursors.last_error END",
                [p["feed"], p.get("case_no"), p.get("polls", 1), int(failed) if "errors" not in p else p["errors"],
                 now, None if failed else now, p.get("error")])


def claim(con, disclosures: list[dict], now: datetime) -> dict:
    """Record newly seen disclosures (dicts of extractors.feeds.Disclosure). Returns counts
    {"new", "replayed", "duplicates"}; what to process is `pending(con)`."""
    counts = {"new": 0, "replayed": 0, "duplicates": 0}
    with transaction(con):
        known = {r["source_id"]: r for r in rows(con, "SELECT source_id, url FROM disclosures WHERE source_id IN "
                                                      "(SELECT unnest(?::VARCHAR[]))", [[d["source_id"] for d in disclosures]])}
        by_url = {r["url"]: r["source_id"] for r in rows(
            con, "SELECT url, min(source_id) AS source_id FROM disclosures WHERE url IN (SELECT unnest(?::VARCHAR[])) "
                 "GROUP BY url", [[d["url"] for d in disclosures]])}
        for d in sorted(disclosures, key=lambda d: (d["published_at"], d["source_id"])):
            if d["source_id"] in known:
                counts["replayed"] += 1
                continue
            first = by_url.get(d["url"])
            status = "duplicate" if first else "pending"
            con.execute(
                "INSERT INTO disclosures (source_id, feed, case_no, company, url, title, published_at, first_seen_at, "
                "status, attempts, duplicate_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                [d["source_id"], d["feed"], d["case_no"], d.get("company"), d["url"], d.get("title"),
                 utc_naive(d["published_at"]), now, status, first])
            known[d["source_id"]] = d
            by_url.setdefault(d["url"], d["source_id"])
            counts["duplicates" if first else "new"] += 1
        _advance_cursors(con, sorted({d["feed"] for d in disclosures}))
    return counts


def _due(retry_after: float) -> str:
    """SQL: a failed disclosure whose retry time (backoff doubling per attempt) has come."""
    return (f"(status = 'failed' AND attempts < {MAX_ATTEMPTS} AND processed_at + "
            f"to_microseconds(CAST({float(retry_after)} * 1e6 * pow(2, attempts - 1) AS BIGINT)) <= ?)")


def _announced(con, where: str, params: list, limit: int | None = None) -> list[dict]:
    """Rows of the log as the disclosures a feed announced (published_at back in ISO form), oldest first."""
    return [r | {"published_at": r["published_at"].isoformat(timespec="milliseconds") + "Z"} for r in rows(
        con, "SELECT source_id, feed, case_no, company, url, title, published_at, attempts FROM disclosures "
             f"WHERE {where} ORDER BY published_at, source_id" + (f" LIMIT {int(limit)}" if limit else ""), params)]


def pending(con, limit: int | None = None, retry_after: float = RETRY_AFTER, now: datetime | None = None,
            owner: str | None = None, lease: float = LEASE) -> list[dict]:
    """Disclosures to process now, oldest first: pending, or failed and due for a retry; not
    claimed by another owner within `lease` seconds (0: every other owner's claim is stale)."""
    from warehouse.db import utcnow

    now = now or utcnow()
    return _announced(con, f"(status = 'pending' OR {_due(retry_after)}) AND (claimed_by IS NULL OR claimed_by = ? "
                             f"OR claimed_at + to_microseconds(CAST({float(lease)} * 1e6 AS BIGINT)) <= ?)",
                      [now, owner or "", now], limit)


def due_failures(con, retry_after: float = RETRY_AFTER, now: datetime | None = None) -> list[dict]:
    """Failed disclosures whose retry is due, as the disclosures a feed announced (no claim
    taken: the run that processes them claims them through `pending`)."""
    from warehouse.db import utcnow

    return _announced(con, _due(retry_after), [now or utcnow()])


def take(con, source_ids: list[str], owner: str, now: datetime) -> None:
    """Mark these disclosures as being processed by `owner` (see pending's lease)."""
    con.execute("UPDATE disclosures SET claimed_by = ?, claimed_at = ? WHERE source_id IN (SELECT unnest(?::VARCHAR[]))",
                [owner, now, source_ids])


def next_retry(con, retry_after: float = RETRY_AFTER) -> datetime | None:
    """When the next failed disclosure becomes due (None: none will)."""
    return con.execute(
        "SELECT min(processed_at + to_microseconds(CAST(? * 1e6 * pow(2, attempts - 1) AS BIGINT))) FROM disclosures "
        "WHERE status = 'failed' AND attempts < ?", [float(retry_after), MAX_ATTEMPTS]).fetchone()[0]


def finish(con, run_id: str, outcomes: list[dict], now: datetime) -> list[dict]:
    """Record what the stages made of each disclosure: {"source_id", "document_id", "error",
    "facts", "alerts"}. A failure with attempts left stays retryable. Returns the rows as stored."""
    with transaction(con):
        for o in outcomes:
            failed = o.get("error") is not None
            con.execute(
                "UPDATE disclosures SET attempts = attempts + 1, run_id = ?, claimed_by = NULL, document_id = ?, facts = ?, alerts = ?, "
                "error = ?, processed_at = ?, latency_s = epoch(?::TIMESTAMP) - epoch(published_at), "
                "status = CASE WHEN NOT ? THEN 'done' WHEN attempts + 1 >= ? THEN 'gave_up' ELSE 'failed' END "
                "WHERE source_id = ?",
                [run_id, o.get("document_id"), o.get("facts"), o.get("alerts"), o.get("error"), now, now,
                 failed, MAX_ATTEMPTS, o["source_id"]])
        feeds = [r[0] for r in con.execute("SELECT DISTINCT feed FROM disclosures WHERE source_id IN "
                                           "(SELECT unnest(?::VARCHAR[]))", [[o["source_id"] for o in outcomes]]).fetchall()]
        _advance_cursors(con, feeds)
    return rows(con, "SELECT * FROM disclosures WHERE source_id IN (SELECT unnest(?::VARCHAR[])) ORDER BY published_at",
                [[o["source_id"] for o in outcomes]])


def _advance_cursors(con, feeds: list[str]) -> None:
    """Each feed's cursor: its newest finished disclosure older than its oldest unfinished one."""
    for feed in feeds:
        found = con.execute(
            "SELECT published_at, source_id FROM disclosures WHERE feed = ? AND status IN ('done', 'duplicate', 'gave_up') "
            "AND published_at < coalesce((SELECT min(published_at) FROM disclosures WHERE feed = ? "
            "  AND status IN ('pending', 'failed')), TIMESTAMP '9999-12-31') ORDER BY published_at DESC, source_id DESC "
            "LIMIT 1", [feed, feed]).fetchone()
        if found:
            con.execute(
                "INSERT INTO feed_cursors (feed, cursor_published_at, cursor_source_id, polls, errors) "
                "VALUES (?, ?, ?, 0, 0) ON CONFLICT (feed) DO UPDATE SET "
                "cursor_published_at = excluded.cursor_published_at, cursor_source_id = excluded.cursor_source_id",
                [feed, found[0], found[1]])
