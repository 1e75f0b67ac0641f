"""Stage 3, validate: Great Expectations suites (the JSON files here; the metric lists are
filled from common/metrics.py) and the code that runs them (validate).

May import: common. Never extractors, transforms, warehouse or carbonwatch."""
