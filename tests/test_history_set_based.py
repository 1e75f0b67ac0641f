"""The history update is set-based: its statements do not grow with the companies diffed, and
diffing every company in one update gives exactly what diffing them one by one gives (history,
alerts, review items, the companies' diffed and baseline documents)."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta

import pytest

from warehouse.db import connect, transaction
from warehouse.history import apply_history, decide, update_history
from warehouse.loads import load_batch
from warehouse.runs import start_run
from warehouse_fixtures import Doc, F, batch, bootstrap_sample, run

T0 = datetime(2026, 1, 5, 2, 0)
COMPARED = {
    "target_history": "SELECT * EXCLUDE (history_id) FROM target_history ORDER BY ALL",
    "alerts": "SELECT * FROM alerts ORDER BY alert_id",
    "review_items": "SELECT * FROM review_items ORDER BY review_id",
    "companies": "SELECT case_no, diffed_document_id, baseline_run_id, baseline_document_id FROM companies ORDER BY 1",
    "source_targets": "SELECT * FROM source_targets ORDER BY ALL",
}


class CountingConnection:
    """The warehouse connection, counting the statements sent through it (executemany: one per
    row, as DuckDB runs it)."""

    def __init__(self, con):
        self._con = con
        self.statements = 0

    def execute(self, sql, *params):
        self.statements += 1
        return self._con.execute(sql, *params)

    def executemany(self, sql, params):
        self.statements += len(params)
        return self._con.executemany(sql, params)

    def __getattr__(self, name):
        return getattr(self._con, name)


def cases(n: int) -> list[dict]:
    """n hand-made test cases (not companies of any report), each with the same three targets
    (their evidence names the case: the same fact of one document would be one fact)."""
    return [{"case_no": k, "name": f"测试公司{k}", "sector": "工业制造", "industry": "设备制造", "pages": [10 + k],
             "facts": [F("peak", 2028, evidence=f"case {k}: peak 2028"),
                       F("carbon_neutral", 2060, evidence=f"case {k}: carbon neutral 2060"),
                       F("interim_target", 2030, 30, 2020, evidence=f"case {k}: -30% by 2030 vs 2020")]}
            for k in range(1, n + 1)]


def edition(n: int, number: int) -> list[Doc]:
    """Edition 1: every company's baseline (one target differs from the seed report's).
    Edition 2: by company, a changed year plus a new RE100 membership; a low-confidence change (waits for review); a withdrawn goal; or a
    doubtful new goal (waits). Edition 3: the waiting change is gone (superseded) or yields to
    an accepted value; the doubtful goal is seen again (rejected by then, or still waiting)."""
    docs = []
    for k in range(1, n + 1):
        # the company's own report says 2029 where the seed report said 2028
        facts = [F("peak", 2029), F("carbon_neutral", 2060), F("interim_target", 2030, 30, 2020, page=4)]
        if number == 2:
            kind = k % 4
            if kind == 0:
                facts = [facts[0], F("carbon_neutral", 2055, page=3), facts[2], F("re100", page=7)]
            elif kind == 1:
                facts[1] = F("carbon_neutral", 2050, page=3, confidence=0.3, rule="en.hedge")
            elif kind == 2:
                facts = facts[:2]
            else:
                facts.append(F("net_zero", 2070, page=9, confidence=0.4))
        elif number == 3 and k % 4 == 1:  # sure enough, but less than an accepted value
            facts[1] = F("carbon_neutral", 2060, page=3, confidence=0.8)
        elif number == 3 and k % 4 == 3:  # the same doubtful value again: rejected, or still waiting
            facts.append(F("net_zero", 2070, page=9, confidence=0.4))
        docs.append(Doc(k, 2023 + number, facts, fetched_at=T0 + timedelta(days=number)))
    return docs


def warehouse(path, n: int, editions: int):
    con = connect(path)
    bootstrap_sample(con, path.parent, cases=cases(n), now=T0)
    for number in range(1, editions + 1):
        run(con, f"edition-{number}", edition(n, number), now=T0 + timedelta(days=number), threshold=0.6)
    return con


def counted_update(con, run_id: str, docs: list[Doc], now: datetime) -> tuple[int, dict]:
    """Load `docs`, then count the statements of the history update alone."""
    start_run(con, run_id, "test", now=now)
    load_batch(con, run_id, *batch(docs))
    counting = CountingConnection(con)
    counts = update_history(counting, run_id, now=now, threshold=0.6)
    return counting.statements, counts


@pytest.mark.parametrize("number", [1, 2])
def test_the_statements_of_a_history_update_do_not_grow_with_the_companies(tmp_path, number):
    seen = {}
    for n in (4, 40):
        con = warehouse(tmp_path / f"wh-{n}.duckdb", n, number - 1)
        try:
            seen[n] = counted_update(con, f"edition-{number}", edition(n, number), T0 + timedelta(days=number))
        finally:
            con.close()
    (few, few_counts), (many, many_counts) = seen[4], seen[40]
    assert many_counts["history_rows"] == 10 * few_counts["history_rows"] > 0
    assert many_counts["alerts"] == 10 * few_counts["alerts"]
    if number == 2:
        assert few_counts["alerts"] > 0 and few_counts["review_pending"] > 0
    assert many == few, f"{few} statements for 4 companies, {many} for 40"


def test_one_update_of_every_company_equals_updates_one_by_one(tmp_path):
    con = warehouse(tmp_path / "wh.duckdb", 8, 2)
    try:
        # an analyst's decisions (accept one waiting change, reject another) ahead of edition 3
        waiting = con.execute("SELECT review_id FROM review_items WHERE status = 'pending' ORDER BY case_no").fetchall()
        assert len(waiting) >= 2
        decide(con, [waiting[0][0]], "accepted", threshold=0.6, now=T0 + timedelta(days=2, hours=1))
        decide(con, [waiting[1][0]], "rejected", threshold=0.6, now=T0 + timedelta(days=2, hours=2))
        now = T0 + timedelta(days=3)
        start_run(con, "edition-3", "test", now=now)
        load_batch(con, "edition-3", *batch(edition(8, 3)))
        con.execute("CHECKPOINT")
    finally:
        con.close()
    shutil.copy(tmp_path / "wh.duckdb", tmp_path / "each.duckdb")
    together, each = connect(tmp_path / "wh.duckdb"), connect(tmp_path / "each.duckdb")
    try:
        with transaction(together):
            counts = apply_history(together, "edition-3", now, threshold=0.6)
        summed = {"history_rows": 0, "alerts": 0, "review_pending": 0}
        for case_no in range(1, 9):
            with transaction(each):
                for key, value in apply_history(each, "edition-3", now, threshold=0.6, case_nos=[case_no]).items():
                    summed[key] += value
        assert counts == summed and counts["history_rows"] > 0
        for table, sql in COMPARED.items():
            assert together.execute(sql).fetchall() == each.execute(sql).fetchall(), table
        statuses = dict(together.execute("SELECT status, count(*) FROM review_items GROUP BY 1").fetchall())
        assert statuses == {"accepted": 1, "rejected": 1, "superseded": 1, "pending": 2}, statuses
        # seen in edition 3: the rejected goal again, the goal still waiting, the change held back
        # by the accepted value
        assert together.execute("SELECT count(*) FROM review_items WHERE last_run_id = 'edition-3'").fetchone()[0] == 3
    finally:
        together.close()
        each.close()
