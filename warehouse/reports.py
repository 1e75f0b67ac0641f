"""Seed reports as data: each report a row of `reports` (title, publisher, year, sha256) and
of `documents`; each of its cases a row of `report_cases` pointing at its company.

The first report (the 100-case report) defines the companies: company k is its case k. A
case of a later report is about a company already known when their names meet
(transforms.names: the names, their bracketed aliases, the other-language names the case
texts give, without legal-form suffixes); otherwise it adds a company (ids after the
largest). A company's facts keep their source: each fact's document is the report it was
read from. Runs inside the caller's transaction (the bootstrap's).
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from common.schema import Fact
from transforms.names import match_company, name_variants
from warehouse.loads import insert_facts


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def add_report(con, report_path: str | Path, case_records: list[dict], run_id: str, now: datetime,
               meta: dict | None = None) -> dict:
    """Load one seed report's cases: report and document rows, companies (new or matched),
    report_cases and facts. A report already loaded (same sha256) adds nothing."""
    report_path = Path(report_path)
    doc_id = sha256_file(report_path)
    meta = meta or {}
    counts = {"companies": 0, "documents_new": 0, "facts_added": 0, "matched": 0}
    if con.execute("SELECT 1 FROM reports WHERE sha256 = ?", [doc_id]).fetchone():
        return counts
    report_no = con.execute("SELECT coalesce(max(report_no), 0) + 1 FROM reports").fetchone()[0]
    known = {cid: set(v or ()) for cid, v in con.execute("SELECT case_no, name_variants FROM companies").fetchall()}
    next_id = max(known, default=0) + 1
    case_rows, facts = [], []
    for r in case_records:
        variants = name_variants(r["name"], *r.get("aliases", ()))
        hit = None if report_no == 1 else match_company(variants, known)
        if hit:
            company, matched_on = hit
            counts["matched"] += 1
            con.execute("UPDATE companies SET name_variants = list_distinct(list_concat(name_variants, ?)) "
                        "WHERE case_no = ?", [sorted(variants), company])
        else:
            company, matched_on = (r["case_no"] if report_no == 1 else next_id), None
            next_id = max(next_id, company + 1)
            con.execute(
                "INSERT INTO companies (case_no, name, sector, industry, report_pages, loaded_at, report_no, "
                "name_variants) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_no) DO NOTHING",
                [company, r["name"], r.get("sector"), r.get("industry"), r["pages"], now, report_no,
                 sorted(variants)])
            counts["companies"] += 1
        known[company] = known.get(company, set()) | variants
        case_rows.append([report_no, r["case_no"], company, r["name"], r.get("title"), r["pages"],
                          len(r["facts"]), matched_on])
        facts += [(doc_id, company, Fact.from_dict(f)) for f in r["facts"]]
    con.executemany("INSERT INTO report_cases VALUES (?, ?, ?, ?, ?, ?, ?, ?)", case_rows)
    n_pages = meta.get("pages") or max((p for c in case_records for p in c["pages"]), default=None)
    title = meta.get("title") or report_path.stem
    con.execute(
        "INSERT INTO documents (document_id, case_no, url, final_url, title, report_year, file_path, "
        "bytes, fetch_status, parse_status, pages, facts, first_run_id, last_run_id, fetched_at, parsed_at) "
        "VALUES (?, NULL, ?, NULL, ?, ?, ?, ?, 'fetched', 'parsed', ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (document_id) DO NOTHING",
        [doc_id, report_path.resolve().as_uri(), title, meta.get("year"), str(report_path.resolve()),
         report_path.stat().st_size, n_pages, len(facts), run_id, run_id, now, now])
    con.execute("INSERT INTO reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [report_no, title, meta.get("publisher"), meta.get("year"), doc_id,
                 str(report_path.resolve()), n_pages, len(case_records), run_id, now])
    counts["documents_new"] = 1
    counts["facts_added"] = insert_facts(con, run_id, facts)
    return counts
