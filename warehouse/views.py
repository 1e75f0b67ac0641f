"""Views for analysts (kept in SQL so the README cookbook can show them)."""
from __future__ import annotations

VIEWS = {
    "v_current_targets": """
        SELECT h.case_no, c.name AS company, c.sector, c.industry, h.metric, h.target_key,
               h.value, h.year, h.number, h.document_id, h.page, h.evidence, h.valid_from
        FROM target_history h JOIN companies c USING (case_no)
        WHERE h.is_current
    """,
    "v_target_changes": """
        SELECT a.created_at, a.case_no, a.company, a.metric, a.change, a.old_value, a.new_value,
               a.old_evidence, a.new_evidence, a.old_document_id, a.new_document_id,
               d.url AS new_document_url, a.new_page, a.run_id
        FROM alerts a LEFT JOIN documents d ON d.document_id = a.new_document_id
    """,
}


def create_views(con) -> None:
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
