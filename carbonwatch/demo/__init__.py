"""The demo: the offline mirror of the company sites built from the report (mirror.py) and the
`make demo` script (run.py). A fixture for demos, tests and benchmarks, not production code."""
