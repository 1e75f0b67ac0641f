"""Views for analysts. Created (CREATE OR REPLACE) on every read-write open of the warehouse;
documented in docs/warehouse.md, used by docs/cookbook.md and `carbonwatch report`."""
from __future__ import annotations

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
               min(h.year) FILTER (WHERE h.metric = 'peak') AS peak_year,
               arg_min(h.scope, h.year) FILTER (WHERE h.metric = 'peak') AS peak_scope,
               min(h.year) FILTER (WHERE h.metric = 'net_zero') AS net_zero_year,
               arg_min(h.scope, h.year) FILTER (WHERE h.metric = 'net_zero') AS net_zero_scope,
               min(h.year) FILTER (WHERE h.metric = 'carbon_neutral') AS carbon_neutral_year,
               arg_min(h.scope, h.year) FILTER (WHERE h.metric = 'carbon_neutral') AS carbon_neutral_scope,
               coalesce(bool_or(h.metric = 're100'), false) AS re100,
               arg_max(h.number, h.year) FILTER (WHERE h.metric = 'green_power_share') AS green_power_share_pct,
               max(h.year) FILTER (WHERE h.metric = 'green_power_share') AS green_power_share_year,
               arg_max(h.value, h.status = 'achieved') FILTER (WHERE h.metric = 'sbti') AS sbti,
               arg_min(h.value, h.year) FILTER (WHERE h.metric = 'interim_target' AND h.status = 'target')
                   AS interim_target,
               min(h.year) FILTER (WHERE h.metric = 'interim_target' AND h.status = 'target') AS interim_target_year,
               arg_min(h.number, h.year) FILTER (WHERE h.metric = 'interim_target' AND h.status = 'target')
                   AS interim_target_pct,
               arg_min(h.base_year, h.year) FILTER (WHERE h.metric = 'interim_target' AND h.status = 'target')
                   AS interim_base_year,
               arg_min(h.scope, h.year) FILTER (WHERE h.metric = 'interim_target' AND h.status = 'target')
                   AS interim_scope,
               count(h.history_id) AS current_targets,
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
        WITH m(metric, ord) AS (VALUES ('peak', 1), ('net_zero', 2), ('carbon_neutral', 3), ('re100', 4),
               ('renewable_electricity_target', 5), ('green_power_share', 6), ('sbti', 7), ('interim_target', 8)),
             n AS (SELECT count(*) AS companies FROM companies)
        SELECT m.metric, n.companies, count(DISTINCT h.case_no) AS with_metric,
               round(100.0 * count(DISTINCT h.case_no) / nullif(n.companies, 0), 1) AS pct
        FROM m CROSS JOIN n LEFT JOIN target_history h ON h.metric = m.metric AND h.is_current
        GROUP BY m.metric, m.ord, n.companies ORDER BY m.ord
    """,
    # the report's aggregate tables, recomputed from the warehouse (long format)
    "v_report_tables": """
        WITH flags AS (
            SELECT c.case_no, c.sector, c.industry,
                   EXISTS (SELECT 1 FROM target_history h WHERE h.case_no = c.case_no AND h.is_current
                           AND h.metric IN ('carbon_neutral', 'net_zero')) AS has_neutral_target,
                   EXISTS (SELECT 1 FROM target_history h WHERE h.case_no = c.case_no AND h.is_current
                           AND h.metric = 'green_power_share' AND coalesce(h.number, 0) > 0) AS uses_green_power
            FROM companies c),
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
}


def create_views(con) -> None:
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
