"""What the history update reads, for every company at once (warehouse.history).

One query per kind, whatever the number of companies: the companies whose current document
changed since their last diff, those documents' facts, the companies' open history rows and
their review items. Lists of keys are bound as typed arrays and joined with `unnest`.
"""
from __future__ import annotations

from dataclasses import dataclass

from common.schema import Fact
from transforms.diff import Target
from warehouse.db import rows


@dataclass
class ToDiff:
    """A company whose current document is not the one it was last diffed against."""

    company: dict  # case_no, name, baseline_run_id, baseline_document_id, diffed_document_id
    document_id: str
    report_year: int | None
    own: bool  # the company's own report (not a seed report's summary of it)


def current_documents(con) -> dict[int, tuple[str, int | None, bool]]:
    """Each company's newest parsed document: its own reports, else the 100-case report.

    Several reports of one company (even from one run) resolve by report date: report_year,
    then fetch time; the newest wins. The others keep their documents and facts as evidence.
    The candidates are two equality joins (a company's own documents; seed-report documents
    holding facts of it), not one join on an OR, which DuckDB runs as a nested loop over every
    company and document."""
    found = con.execute(
        "WITH candidates AS ("
        "  SELECT d.case_no, d.document_id, d.report_year, d.fetched_at, true AS own "
        "  FROM documents d JOIN companies c ON c.case_no = d.case_no WHERE d.parse_status = 'parsed' "
        "  UNION ALL "
        "  SELECT DISTINCT f.case_no, d.document_id, d.report_year, d.fetched_at, false AS own "
        "  FROM documents d JOIN facts f ON f.document_id = d.document_id JOIN companies c ON c.case_no = f.case_no "
        "  WHERE d.parse_status = 'parsed' AND d.case_no IS NULL) "
        "SELECT case_no, document_id, report_year, own FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY case_no ORDER BY own DESC, report_year DESC NULLS LAST, "
        "    fetched_at DESC NULLS LAST, document_id) AS rank FROM candidates) "
        "WHERE rank = 1").fetchall()
    return {case_no: (doc_id, year, own) for case_no, doc_id, year, own in found}


def companies_to_diff(con, case_nos: list[int] | None = None) -> list[ToDiff]:
    """The companies (all, or those of `case_nos`) whose current document changed, by case_no."""
    companies = rows(con, "SELECT case_no, name, baseline_run_id, baseline_document_id, diffed_document_id "
                          "FROM companies WHERE ?::INTEGER[] IS NULL OR case_no IN (SELECT unnest(?::INTEGER[])) "
                          "ORDER BY case_no", [case_nos, case_nos])
    current = current_documents(con)
    return [ToDiff(c, *current[c["case_no"]]) for c in companies
            if c["case_no"] in current and current[c["case_no"]][0] != c["diffed_document_id"]]


def current_facts(con, todo: list[ToDiff]) -> dict[int, list[Fact]]:
    """Each company's facts from its current document, in page order."""
    out: dict[int, list[Fact]] = {}
    found = con.execute(
        "SELECT f.case_no, metric, year, value, base_year, scope, status, page, evidence, value_high, "
        "coalesce(confidence, 1.0) AS confidence, rule FROM facts f JOIN "
        "(SELECT unnest(?::INTEGER[]) AS case_no, unnest(?::VARCHAR[]) AS document_id) t "
        "ON f.case_no = t.case_no AND f.document_id = t.document_id ORDER BY f.case_no, page, fact_id",
        [[t.company["case_no"] for t in todo], [t.document_id for t in todo]])
    names = [d[0] for d in found.description]
    for r in found.fetchall():
        fact = Fact.from_dict(dict(zip(names[1:], r[1:])))
        if fact.metric == "re100":
            fact.value = True
        out.setdefault(r[0], []).append(fact)
    return out


def open_targets(con, case_nos: list[int]) -> dict[int, dict[str, Target]]:
    """Each company's open history rows (is_current), as targets by key."""
    out: dict[int, dict[str, Target]] = {}
    for r in rows(con, "SELECT * FROM target_history WHERE is_current AND case_no IN (SELECT unnest(?::INTEGER[])) "
                       "ORDER BY case_no, history_id", [case_nos]):
        out.setdefault(r["case_no"], {})[r["target_key"]] = Target(
            r["target_key"], r["metric"], r["value"], r["year"], r["number"], r["page"], r["evidence"],
            r["document_id"], r.get("status"), r.get("base_year"), r.get("scope"),
            1.0 if r.get("confidence") is None else r["confidence"], bool(r.get("reviewed")))
    return out


def review_statuses(con, case_nos: list[int]) -> dict[int, dict[str, str]]:
    """Each company's review items: review_id -> status (pending, accepted, rejected, superseded)."""
    out: dict[int, dict[str, str]] = {}
    for case_no, rid, status in con.execute(
            "SELECT case_no, review_id, status FROM review_items WHERE case_no IN (SELECT unnest(?::INTEGER[]))",
            [case_nos]).fetchall():
        out.setdefault(case_no, {})[rid] = status
    return out
