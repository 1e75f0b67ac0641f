"""Run the Great Expectations suites kept as JSON in this folder.

GX validates pandas DataFrames here (its DuckDB datasource is broken in 1.24, see STACK.md).
Row-level failures come back by index so the caller can quarantine those rows.
"""
from __future__ import annotations

import json
import os
from importlib import resources

from carbonwatch.schema import FACT_FIELDS

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")


def load_suite_dict(name: str) -> dict:
    return json.loads(resources.files("expectations").joinpath(f"{name}.json").read_text(encoding="utf-8"))


def run_suite(name: str, frame) -> list[dict]:
    """Validate `frame` against suite `name`; one result dict per expectation:
    {suite, expectation, kwargs, success, unexpected, unexpected_index}."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    spec = load_suite_dict(name)
    suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=spec["expectations"], meta=spec.get("meta")))
    batch = (
        context.data_sources.add_pandas(f"{name}_source")
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe("whole")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    outcome = batch.validate(suite, result_format="COMPLETE")
    results = []
    for r in outcome.results:
        cfg = r.expectation_config
        kwargs = {k: v for k, v in cfg.kwargs.items() if k != "batch_id"}
        label = cfg.type + (f"({kwargs['column']})" if "column" in kwargs else "")
        results.append({
            "suite": name,
            "expectation": label,
            "kwargs": kwargs,
            "success": bool(r.success),
            "unexpected": r.result.get("unexpected_count"),
            "unexpected_index": [int(i) for i in (r.result.get("unexpected_index_list") or []) if not isinstance(i, dict)],
            "exception": (r.exception_info or {}).get("exception_message") if not r.success else None,
        })
    return results


def validate_facts(items: list[dict]) -> dict:
    """items: [{"document_id", "case_no", "fact": {...}}]. Returns
    {"valid": [...], "quarantined": [item + {"failed": [expectation, ...]}], "results": [...]}."""
    import pandas as pd

    if not items:
        return {"valid": [], "quarantined": [], "results": []}
    frame = pd.DataFrame(
        [{**{k: it["fact"].get(k) for k in FACT_FIELDS}, "document_id": it["document_id"], "case_no": it["case_no"]}
         for it in items]
    )
    # re100's value is a membership flag, not a percent: keep the percent checks on numbers only.
    frame["value"] = [None if isinstance(v, bool) else v for v in frame["value"]]
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    for col in ("year", "base_year", "page", "case_no"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    results = run_suite("facts", frame)
    failed_by_row: dict[int, list[str]] = {}
    for r in results:
        for i in r.pop("unexpected_index"):
            failed_by_row.setdefault(i, []).append(r["expectation"])
    valid, quarantined = [], []
    for i, it in enumerate(items):
        if i in failed_by_row:
            quarantined.append({**it, "failed": failed_by_row[i]})
        else:
            valid.append(it)
    return {"valid": valid, "quarantined": quarantined, "results": results}


def validate_companies(records: list[dict]) -> list[dict]:
    import pandas as pd

    frame = pd.DataFrame([{k: r[k] for k in ("case_no", "name", "sector", "industry")} for r in records])
    results = run_suite("companies", frame)
    for r in results:
        r.pop("unexpected_index")
    return results
