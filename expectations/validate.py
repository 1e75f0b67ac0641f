"""Run the Great Expectations suites kept as JSON in this folder (facts.json, companies.json).

The JSON files here are the source of truth. GX validates pandas DataFrames (its DuckDB
datasource is broken in 1.24, see STACK.md). Row-level failures come back by index so the
caller can quarantine those rows.

Two modes:
- no ``gx_root``: an ephemeral GX context (unit tests, the CLI);
- ``gx_root=DIR`` (the nightly DAG: ``<var>/gx``): a GX *file* context in DIR. The suites are
  copied into it, every run is a Checkpoint run whose results are kept in
  ``DIR/uncommitted/validations/`` and whose UpdateDataDocsAction rebuilds the GX Data Docs in
  ``DIR/data_docs/`` (open ``DIR/data_docs/index.html``).

Derived columns (computed here, before GX sees the frame, so that row-level expectations can
check cross-row rules):
- ``neutrality_year``: for a peak fact, the earliest net_zero/carbon_neutral year of the same
  company, document and scope (null when there is none) — the suite expects
  ``neutrality_year >= year`` (a peak after neutrality is an extraction error);
- ``evidence_on_page``: set by the extract task (carbonwatch/orchestration/tasks.py) — is the quote on the
  page it cites; null when unknown (not checked).
"""
from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from common.metrics import METRIC_NAMES, METRIC_TABLE, YEAR_METRICS
from common.schema import FACT_FIELDS

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
SUITES_DIR = Path(__file__).resolve().parent
DATA_DOCS_SITE = "carbonwatch"
DATA_DOCS_DIR = "data_docs"  # relative to gx_root
NEUTRALITY_METRICS = tuple(s.name for s in METRIC_TABLE if s.neutrality)
log = logging.getLogger("carbonwatch.expectations")
# GX logs every datasource config at INFO on each load: noise in task logs and benchmarks.
logging.getLogger("great_expectations").setLevel(logging.WARNING)


def load_suite_dict(name: str, max_company_key: int | None = None) -> dict:
    """A suite as kept in this folder, with the metric table's values filled in: the suite's
    allowed metrics and the metrics that need a year always follow common/metrics.py; with
    `max_company_key`, the company keys allowed run up to the warehouse's highest (companies
    of the user's sources are numbered after the seed cases)."""
    spec = json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    for e in spec["expectations"]:
        kwargs = e["kwargs"]
        if kwargs.get("column") == "case_no" and "max_value" in kwargs and max_company_key:
            kwargs["max_value"] = max(kwargs["max_value"], max_company_key)
        if kwargs.get("column") == "metric" and e["type"] == "expect_column_values_to_be_in_set":
            kwargs["value_set"] = list(METRIC_NAMES)
        condition = kwargs.get("row_condition") or {}
        if isinstance(condition, dict) and (condition.get("column") or {}).get("name") == "metric":
            condition["parameter"] = list(YEAR_METRICS)
    return spec


def data_docs_index(gx_root: str | Path) -> Path:
    return Path(gx_root) / DATA_DOCS_DIR / "index.html"


def _file_context(gx_root: str | Path):
    import great_expectations as gx

    root = Path(gx_root)
    root.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", context_root_dir=str(root))
    context.variables.progress_bars = {"globally": False}
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": f"{DATA_DOCS_DIR}/"},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    sites = context.list_data_docs_sites()
    if DATA_DOCS_SITE not in sites:
        context.add_data_docs_site(DATA_DOCS_SITE, site)
    if "local_site" in sites:
        context.delete_data_docs_site("local_site")
    return context


def run_suite(name: str, frame, gx_root: str | Path | None = None, run_name: str | None = None,
              max_company_key: int | None = None) -> list[dict]:
    """Validate `frame` against suite `name`; one result dict per expectation:
    {suite, expectation, kwargs, success, unexpected, unexpected_index, exception}."""
    import great_expectations as gx

    spec = load_suite_dict(name, max_company_key)
    suite = gx.ExpectationSuite(name=name, expectations=spec["expectations"], meta=spec.get("meta"))
    outcome = None
    if gx_root is not None:
        try:
            with _locked(gx_root):  # one writer of the file context at a time
                outcome = _checkpoint_run(name, suite, frame, gx_root, run_name)
        except Exception:  # the Data Docs are a report: never let them stop the validation
            log.exception("GX file context %s failed: validating in memory, Data Docs not updated", gx_root)
            suite = gx.ExpectationSuite(name=name, expectations=spec["expectations"], meta=spec.get("meta"))
    if outcome is None:
        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = {"globally": False}
        suite = context.suites.add(suite)
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
        if "column_A" in kwargs:
            label = cfg.type + f"({kwargs['column_A']},{kwargs['column_B']})"
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


@contextmanager
def _locked(gx_root):
    import fcntl

    Path(gx_root).mkdir(parents=True, exist_ok=True)
    with open(Path(gx_root) / ".carbonwatch.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _checkpoint_run(name: str, suite, frame, gx_root, run_name: str | None):
    """A Checkpoint run in the file context: results stored, Data Docs updated."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.core.run_identifier import RunIdentifier

    context = _file_context(gx_root)
    suite = context.suites.add_or_update(suite)
    source = context.data_sources.add_or_update_pandas(f"{name}_source")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        batch_definition = asset.get_batch_definition("whole")
    except (KeyError, LookupError):
        batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    definition = context.validation_definitions.add_or_update(
        gx.ValidationDefinition(name=f"{name}_validation", data=batch_definition, suite=suite))
    checkpoint = context.checkpoints.add_or_update(gx.Checkpoint(
        name=f"{name}_checkpoint", validation_definitions=[definition], result_format="COMPLETE",
        actions=[UpdateDataDocsAction(name="update_data_docs", site_names=[DATA_DOCS_SITE])]))
    result = checkpoint.run(batch_parameters={"dataframe": frame},
                            run_id=RunIdentifier(run_name=run_name or f"{name}-run"))
    log.info("GX %s: %s; Data Docs: %s", name, "success" if result.success else "failures",
             data_docs_index(gx_root))
    return next(iter(result.run_results.values()))


def facts_frame(items: list[dict]):
    """The DataFrame the facts suite sees: one row per item, fact fields + ids + derived columns."""
    import pandas as pd

    frame = pd.DataFrame(
        [{**{k: it["fact"].get(k) for k in FACT_FIELDS}, "document_id": it["document_id"], "case_no": it["case_no"],
          "evidence_on_page": it["fact"].get("evidence_on_page", it.get("evidence_on_page"))}
         for it in items]
    )
    # re100's value is a membership flag, not a percent: keep the percent checks on numbers only.
    frame["value"] = [None if isinstance(v, bool) else v for v in frame["value"]]
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce")
    for col in ("year", "base_year", "page", "case_no"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    frame["evidence_on_page"] = frame["evidence_on_page"].astype("object").where(frame["evidence_on_page"].notna(), None)
    # peak year <= neutrality year of the same company, document and scope
    scope = frame["scope"].fillna("").astype(str)
    neutral = frame[frame["metric"].isin(NEUTRALITY_METRICS) & frame["year"].notna()]
    earliest = neutral.assign(scope_key=scope[neutral.index]).groupby(
        ["case_no", "document_id", "scope_key"])["year"].min().to_dict()
    frame["neutrality_year"] = pd.array(
        [earliest.get((c, d, s)) if m == "peak" else None
         for c, d, s, m in zip(frame["case_no"], frame["document_id"], scope, frame["metric"])], dtype="Int64")
    return frame


def validate_facts(items: list[dict], gx_root: str | Path | None = None, run_name: str | None = None,
                   max_company_key: int | None = None) -> dict:
    """items: [{"document_id", "case_no", "fact": {...}}]; `max_company_key`: the warehouse's
    highest company key (default: the suite's, the 100-case report's 100). Returns
    {"valid": [...], "quarantined": [item + {"failed": [expectation, ...]}], "results": [...]}.
    With gx_root, the run is kept in that GX file context and its Data Docs are rebuilt."""
    if not items:
        return {"valid": [], "quarantined": [], "results": []}
    frame = facts_frame(items)
    results = run_suite("facts", frame, gx_root, run_name, max_company_key)
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


def validate_companies(records: list[dict], gx_root: str | Path | None = None, run_name: str | None = None) -> list[dict]:
    import pandas as pd

    frame = pd.DataFrame([{k: r[k] for k in ("case_no", "name", "sector", "industry")} for r in records])
    results = run_suite("companies", frame, gx_root, run_name)
    for r in results:
        r.pop("unexpected_index")
    return results
