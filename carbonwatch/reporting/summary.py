"""Plain-text summaries of the warehouse for the CLI and the demo."""
from __future__ import annotations

from warehouse.db import rows
from warehouse.snapshot import connect_reader
from carbonwatch.alerting.channels import format_alert


def run_line(r: dict) -> str:
    secs = (r["finished_at"] - r["started_at"]).total_seconds() if r.get("finished_at") else float("nan")
    return (f"run {r['run_id']}: {r['status']} in {secs:.0f}s — companies {r['companies']}, documents new "
            f"{r['documents_new']} / unchanged {r['documents_unchanged']} / failed {r['documents_failed']}, "
            f"facts +{r['facts_added']} (quarantined {r['facts_quarantined']}), history +{r['history_rows']}, "
            f"alerts {r['alerts']}" + (f" — {r['error']}" if r.get("error") else ""))


def runs_table(con, run_ids: list[str] | None = None) -> list[dict]:
    sql = "SELECT * FROM runs" + (" WHERE run_id IN (SELECT unnest(?))" if run_ids else "") + " ORDER BY started_at"
    return rows(con, sql, [run_ids] if run_ids else [])


def source_lines(con) -> list[str]:
    """Per seed report, its cases, the companies and facts that came from it; then the
    companies' own reports."""
    out = []
    for r in rows(con, """
            SELECT r.report_no, r.title, r.publisher, r.year, r.cases,
                   count(DISTINCT rc.case_no) AS companies,
                   count(DISTINCT rc.case_no) FILTER (WHERE c.report_no = r.report_no) AS new_companies,
                   list(DISTINCT c.name ORDER BY c.name) FILTER (WHERE c.report_no < r.report_no) AS known,
                   (SELECT count(*) FROM facts f WHERE f.document_id = r.sha256) AS facts
            FROM reports r JOIN report_cases rc USING (report_no) JOIN companies c USING (case_no)
            GROUP BY ALL ORDER BY r.report_no"""):
        known = f", {len(r['known'])} already in an earlier report: {', '.join(r['known'])}" if r["known"] else ""
        out.append(f"  report {r['report_no']} 《{r['title']}》 ({r['publisher'] or 'publisher unknown'}, "
                   f"{r['year'] or 'year unknown'}): {r['cases']} cases, {r['companies']} companies "
                   f"({r['new_companies']} new{known}), {r['facts']} facts")
    own = con.execute("SELECT count(DISTINCT d.document_id), count(DISTINCT d.case_no), count(f.fact_id) "
                      "FROM documents d LEFT JOIN facts f USING (document_id) WHERE d.case_no IS NOT NULL").fetchone()
    if out or own[0]:
        out.append(f"  company reports: {own[0]} documents of {own[1]} companies, {own[2]} facts")
    return (["sources:"] + out) if out else []


def _waiting_for_review(con) -> tuple[int, int]:
    """(pending, would alert) of the review list; (0, 0) on a snapshot older than the list."""
    import duckdb

    try:
        return con.execute("SELECT count(*), count(*) FILTER (WHERE would_alert) FROM review_items "
                           "WHERE status = 'pending'").fetchone()
    except duckdb.CatalogException:
        return 0, 0


def summarize(warehouse: str) -> str:
    # a reader like any analyst: the published snapshot, so it never blocks a running load
    con = connect_reader(warehouse)
    try:
        out = [f"warehouse {warehouse}"]
        n = con.execute("SELECT count(*), count(DISTINCT sector), count(DISTINCT industry) FROM companies").fetchone()
        out.append(f"companies: {n[0]} ({n[1]} sectors, {n[2]} industries)")
        out += source_lines(con)
        for r in rows(con, "SELECT fetch_status, parse_status, count(*) AS n FROM documents "
                           "GROUP BY ALL ORDER BY ALL"):
            out.append(f"documents {r['fetch_status']}/{r['parse_status']}: {r['n']}")
        for r in rows(con, "SELECT error, count(*) AS n FROM documents WHERE error IS NOT NULL GROUP BY ALL ORDER BY n DESC LIMIT 5"):
            out.append(f"  failed: {r['n']} × {r['error']}")
        metrics = rows(con, "SELECT metric, count(*) AS n, count(DISTINCT case_no) AS companies FROM facts GROUP BY metric ORDER BY n DESC")
        out.append("facts per metric: " + ", ".join(f"{m['metric']} {m['n']} ({m['companies']} cos)" for m in metrics))
        q = con.execute("SELECT count(*) FROM quarantined_facts").fetchone()[0]
        vf = rows(con, "SELECT expectation, sum(unexpected) AS n FROM validation_results WHERE NOT success GROUP BY ALL ORDER BY n DESC")
        out.append(f"validation failures: {q} facts quarantined" + ("" if not vf else " — " + ", ".join(f"{v['expectation']} ×{v['n']}" for v in vf)))
        hist = con.execute("SELECT count(*), count(*) FILTER (WHERE is_current) FROM target_history").fetchone()
        out.append(f"target history: {hist[0]} rows, {hist[1]} current")
        alerts = rows(con, "SELECT * FROM alerts ORDER BY created_at, case_no, target_key")
        out.append(f"alerts: {len(alerts)}")
        out += ["  " + format_alert(a) for a in alerts]
        waiting = _waiting_for_review(con)
        if waiting[0]:
            out.append(f"review: {waiting[0]} facts wait for an analyst ({waiting[1]} would alert) — carbonwatch review")
        out.append("runs:")
        out += ["  " + run_line(r) for r in runs_table(con)]
        return "\n".join(out)
    finally:
        con.close()
