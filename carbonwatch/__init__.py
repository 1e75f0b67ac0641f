"""carbonwatch: track corporate climate targets from ESG/CSR reports into DuckDB."""
__version__ = "0.1.0"
