"""DuckDB warehouse: schema, transactional loads, views."""
