"""Stage 4, load: the DuckDB warehouse — schema (schema.sql), connections (db), loads,
history (SCD2) and alerts, analysts' views and the read-only snapshot.

May import: common, transforms (the diff of targets). Never extractors, expectations or carbonwatch."""
