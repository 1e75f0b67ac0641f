"""Stage 4, load: the DuckDB warehouse, one module per concern — schema (schema.sql),
connections, transactions and the clock (db), run bookkeeping and the bootstrap from the seed
reports (runs), each seed report with its cases and companies matched across reports (reports),
what each source says of each target (sources), batch loads (loads), the target history (SCD2)
and which changes alert (history: set-based, its reads in history_reads, its writes in
history_writes), the review list (review), alert-delivery bookkeeping (deliveries), analysts'
views (views) and the read-only snapshot (snapshot).

May import: common, transforms (the diff of targets). Never extractors, expectations or carbonwatch."""
