"""Companies of the user's sources that are no case of a seed report.

A sources row with an empty case_no names its company by `company_id` (the user's id). The
first run that sees it registers it in `companies` under a new integer key above every key in
use (seed cases keep theirs: 1-100 for the 100-case report), so every other table stays keyed
by `case_no`. Nothing is invented: name, landing page, exchange and stock code are the user's.
"""
from __future__ import annotations

from datetime import datetime

from warehouse.db import frame_view, insert_rows, transaction


def register_companies(con, sources: list[dict], now: datetime) -> dict[str, int]:
    """Insert or update the sources' company_id companies in one transaction; returns
    {company_id: case_no} for every company_id of the warehouse. A row with both case_no and
    company_id gives that case its id (when the case has none and the id is free)."""
    by_id: dict[str, dict] = {}
    for s in sources:
        if s.get("company_id"):
            by_id.setdefault(s["company_id"], s)  # a company with several sites: its first row names it
    with transaction(con):
        known = dict(con.execute("SELECT company_id, case_no FROM companies WHERE company_id IS NOT NULL").fetchall())
        free_cases = {r[0] for r in con.execute("SELECT case_no FROM companies WHERE company_id IS NULL").fetchall()}
        next_key = (con.execute("SELECT max(case_no) FROM companies").fetchall()[0][0] or 0) + 1
        new, changed = [], []
        for company_id, s in by_id.items():
            row = [s["name"], s["landing_url"], s.get("exchange"), s.get("stock_code")]
            if company_id in known:
                changed.append([known[company_id], *row])
            elif s.get("case_no") is not None:
                if s["case_no"] in free_cases:
                    con.execute("UPDATE companies SET company_id = ? WHERE case_no = ?", [company_id, s["case_no"]])
                    free_cases.discard(s["case_no"])
                    known[company_id] = s["case_no"]
            else:
                new.append([next_key, *row, company_id, now])
                known[company_id] = next_key
                next_key += 1
        insert_rows(con, "companies", {"case_no": "INTEGER", "name": "VARCHAR", "landing_url": "VARCHAR",
                                       "exchange": "VARCHAR", "stock_code": "VARCHAR", "company_id": "VARCHAR",
                                       "loaded_at": "TIMESTAMP"}, new)
        if changed:  # the user renamed a company or moved its site: the sources file is the truth
            with frame_view(con, "source_companies", changed, ["case_no", "name", "landing_url", "exchange", "stock_code"]):
                con.execute("UPDATE companies SET name = s.name, landing_url = s.landing_url, exchange = s.exchange, "
                            "stock_code = s.stock_code FROM source_companies s WHERE companies.case_no = s.case_no "
                            "AND (companies.name, companies.landing_url, companies.exchange, companies.stock_code) "
                            "IS DISTINCT FROM (s.name, s.landing_url, s.exchange, s.stock_code)")
    return known

