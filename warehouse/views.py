"""Views for analysts. Created (CREATE OR REPLACE) on every read-write open of the warehouse;
documented in docs/warehouse.md, used by docs/cookbook.md and `carbonwatch report`."""
from __future__ import annotations

from common.metrics import METRIC_NAMES, METRIC_TABLE, YEAR_METRICS, MetricSpec


def _in(names) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _company_columns(spec: MetricSpec) -> str:
    """v_company_targets' columns of one metric, by its kind (common/metrics.py)."""
    m, short = spec.name, spec.column_prefix or spec.name
    if spec.kind == "membership":
        return f"               coalesce(bool_or(h.metric = '{m}'), false) AS {m},\n"
    if spec.kind == "status":
        return f"               arg_max(h.value, h.status = 'achieved') FILTER (WHERE h.metric = '{m}') AS {m},\n"
    if spec.kind == "share":  # the latest as-of year
        return (f"               arg_max(h.number, h.year) FILTER (WHERE h.metric = '{m}') AS {m}_pct,\n"
                f"               max(h.year) FILTER (WHERE h.metric = '{m}') AS {m}_year,\n")
    open_ = f"FILTER (WHERE h.metric = '{m}' AND h.status = 'target')"  # kind percent: the nearest open target
    return (f"               arg_min(h.value, h.year) {open_} AS {m},\n"
            f"               min(h.year) {open_} AS {m}_year,\n"
            f"               arg_min(h.number, h.year) {open_} AS {m}_pct,\n"
            f"               arg_min(h.base_year, h.year) {open_} AS {short}_base_year,\n"
            f"               arg_min(h.scope, h.year) {open_} AS {short}_scope,\n")

VIEWS = {
    # every current target, with company and evidence
    "v_current_targets": """
        SELECT h.case_no, c.name AS company, c.sector, c.industry, h.metric, h.target_key, h.scope,
               h.value, h.year, h.number, h.status, h.base_year, h.document_id, d.url AS document_url,
               h.report_year, h.page, h.evidence, h.valid_from
        FROM target_history h JOIN companies c USING (case_no)
        LEFT JOIN documents d ON d.document_id = h.document_id
        WHERE h.is_current
    """,
    # every value a target ever had, open or closed
    "v_target_history": """
        SELECT h.case_no, c.name AS company, c.sector, h.metric, h.target_key, h.scope, h.value, h.year,
               h.valid_from, h.valid_to, h.is_current, h.document_id, d.url AS document_url, h.report_year,
               h.page, h.evidence, h.closed_by_document_id, cd.url AS closed_by_url, h.run_id
        FROM target_history h JOIN companies c USING (case_no)
        LEFT JOIN documents d ON d.document_id = h.document_id
        LEFT JOIN documents cd ON cd.document_id = h.closed_by_document_id
    """,
    # one row per company (all 100, NULL where the company states no such target)
    "v_company_targets": """
        WITH h AS (SELECT * FROM target_history WHERE is_current)
        SELECT c.case_no, c.name AS company, c.sector, c.industry,
""" + "".join(f"""               min(h.year) FILTER (WHERE h.metric = '{m}') AS {m}_year,
               arg_min(h.scope, h.year) FILTER (WHERE h.metric = '{m}') AS {m}_scope,
""" for m in YEAR_METRICS) + """""" + "".join(_company_columns(spec) for spec in METRIC_TABLE if spec.kind != "year") + """               count(h.history_id) AS current_targets,
               (SELECT max(a.created_at) FROM alerts a WHERE a.case_no = c.case_no) AS last_change_at
        FROM companies c LEFT JOIN h USING (case_no)
        GROUP BY c.case_no, c.name, c.sector, c.industry
    """,
    # every change alert, with both documents
    "v_target_changes": """
        SELECT a.created_at, a.case_no, a.company, c.sector, c.industry, a.metric, a.target_key, a.change,
               a.old_value, a.new_value, a.old_evidence, a.new_evidence, a.old_document_id, od.url AS old_document_url,
               a.old_page, a.new_document_id, d.url AS new_document_url, d.report_year AS new_report_year,
               a.new_page, a.run_id, a.delivered_at, a.delivery, a.alert_id
        FROM alerts a LEFT JOIN companies c USING (case_no)
        LEFT JOIN documents d ON d.document_id = a.new_document_id
        LEFT JOIN documents od ON od.document_id = a.old_document_id
    """,
    # share of companies with each metric among their current targets
    "v_metric_coverage": """
        WITH m(metric, ord) AS (VALUES """ + ", ".join(f"('{name}', {i})" for i, name in enumerate(METRIC_NAMES, 1)) + """),
             n AS (SELECT count(*) AS companies FROM companies)
        SELECT m.metric, n.companies, count(DISTINCT h.case_no) AS with_metric,
               round(100.0 * count(DISTINCT h.case_no) / nullif(n.companies, 0), 1) AS pct
        FROM m CROSS JOIN n LEFT JOIN target_history h ON h.metric = m.metric AND h.is_current
        GROUP BY m.metric, m.ord, n.companies ORDER BY m.ord
    """,
    # the report's aggregate tables, recomputed from the warehouse (long format), over the report's cases
    "v_report_tables": """
        WITH flags AS (
            SELECT c.case_no, c.sector, c.industry,
                   EXISTS (SELECT 1 FROM target_history h WHERE h.case_no = c.case_no AND h.is_current
                           AND h.metric IN (""" + _in(s.name for s in METRIC_TABLE if s.neutrality) + """)) AS has_neutral_target,
                   EXISTS (SELECT 1 FROM target_history h WHERE h.case_no = c.case_no AND h.is_current
                           AND h.metric IN (""" + _in(s.name for s in METRIC_TABLE if s.kind == "share") + """)
                           AND coalesce(h.number, 0) > 0) AS uses_green_power
            FROM companies c  -- the 100-case report's cases: not a later report's, not the sources' own companies
            WHERE coalesce(c.report_no, 1) = 1 AND c.report_pages IS NOT NULL),
        total AS (SELECT count(*) AS n FROM flags)
        SELECT 'companies_by_sector' AS report_table, sector, NULL::VARCHAR AS industry, count(*) AS companies,
               NULL::BIGINT AS with_metric, round(100.0 * count(*) / any_value(total.n), 1) AS pct
        FROM flags, total GROUP BY sector
        UNION ALL
        SELECT 'companies_by_industry', any_value(sector), industry, count(*), NULL,
               round(100.0 * count(*) / any_value(total.n), 1)
        FROM flags, total GROUP BY industry
        UNION ALL
        SELECT 'neutral_or_net_zero_by_sector', coalesce(sector, 'all'), NULL, count(*),
               count(*) FILTER (WHERE has_neutral_target),
               round(100.0 * count(*) FILTER (WHERE has_neutral_target) / count(*), 1)
        FROM flags GROUP BY ROLLUP (sector)
        UNION ALL
        SELECT 'green_power_by_sector', coalesce(sector, 'all'), NULL, count(*),
               count(*) FILTER (WHERE uses_green_power),
               round(100.0 * count(*) FILTER (WHERE uses_green_power) / count(*), 1)
        FROM flags GROUP BY ROLLUP (sector)
    """,
    # every case of every seed report, with its report and the company it is about
    "v_report_cases": """
        SELECT r.report_no, r.title AS report, r.publisher, r.year AS report_year, rc.report_case_no,
               rc.name AS name_in_report, rc.title AS case_title, rc.case_no, c.name AS company,
               rc.pages, rc.facts, rc.matched_on,
               count(*) OVER (PARTITION BY rc.case_no) AS cases_of_company
        FROM report_cases rc JOIN reports r USING (report_no) JOIN companies c USING (case_no)
    """,
    # per company and target, the value of its latest source (newest report year, then fetch
    # time) and where it came from; `sources` = how many sources state the target
    "v_latest_targets": """
        WITH s AS (
            SELECT s.*, d.report_year, coalesce(r.title, d.title, d.url) AS source, d.url AS source_url,
                   r.report_no, row_number() OVER (PARTITION BY s.case_no, s.target_key
                       ORDER BY d.report_year DESC NULLS LAST, d.fetched_at DESC NULLS LAST, s.document_id) AS rank,
                   count(*) OVER (PARTITION BY s.case_no, s.target_key) AS sources
            FROM source_targets s JOIN documents d USING (document_id)
            LEFT JOIN reports r ON r.sha256 = s.document_id)
        SELECT s.case_no, c.name AS company, s.metric, s.target_key, s.scope, s.value, s.year, s.number,
               s.status, s.base_year, s.document_id, s.source, s.source_url,
               CASE WHEN s.report_no IS NULL THEN 'company report' ELSE 'seed report' END AS source_kind,
               s.report_no, s.report_year, s.page, s.evidence, s.sources
        FROM s JOIN companies c USING (case_no) WHERE s.rank = 1
    """,
    # a seed report and another source (a later seed report or a company report) telling
    # the same target of a company differently: listed, never alerted
    "v_source_conflicts": """
        SELECT a.case_no, c.name AS company, a.metric, a.target_key,
               ra.title AS source, ra.year AS source_year, a.value, a.page, a.evidence,
               coalesce(rb.title, db.title, db.url) AS other_source, db.report_year AS other_year,
               CASE WHEN rb.report_no IS NULL THEN 'company report' ELSE 'seed report' END AS other_kind,
               b.value AS other_value, b.page AS other_page, b.evidence AS other_evidence,
               a.document_id, b.document_id AS other_document_id
        FROM source_targets a JOIN reports ra ON ra.sha256 = a.document_id
        JOIN source_targets b ON b.case_no = a.case_no AND b.target_key = a.target_key
             AND b.document_id <> a.document_id AND b.value <> a.value
        JOIN documents db ON db.document_id = b.document_id
        LEFT JOIN reports rb ON rb.sha256 = b.document_id
        JOIN companies c ON c.case_no = a.case_no
        WHERE rb.report_no IS NULL OR rb.report_no > ra.report_no
    """,
}


def create_views(con) -> None:
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
