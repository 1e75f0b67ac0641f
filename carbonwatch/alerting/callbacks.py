"""Airflow failure callbacks: a failed task or DAG run becomes an alert.

Every failure is appended as one JSON line to ``<outbox>/failures.jsonl`` (the same outbox folder
as the change alerts, see carbonwatch/alerting/channels.py) and, when a webhook is configured, posted to it.
When carbonwatch/alerting/notifiers.py exists (Airflow BaseNotifier classes for webhook / SMTP), its
notifiers are used for the webhook/SMTP part instead of the plain POST here.

The outbox and webhook come from the DAG run's conf, then the Airflow Variables/Connection that
`prepare` reads, then the environment (common/settings.py). A callback never raises: a
broken alert channel must not hide the original failure.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path

from common import settings

log = logging.getLogger("carbonwatch.alerting.callbacks")
FAILURES_FILE = "failures.jsonl"


def _get(obj, name, default=None):
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def failure_record(context: dict, kind: str) -> dict:
    """What went wrong, as a JSON-able dict, from an Airflow callback context."""
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    dag = context.get("dag")
    exc = context.get("exception")
    return {
        "kind": kind,
        "dag_id": _get(dag, "dag_id") or _get(ti, "dag_id") or _get(dag_run, "dag_id"),
        "run_id": context.get("run_id") or _get(dag_run, "run_id"),
        "task_id": _get(ti, "task_id"),
        "map_index": _get(ti, "map_index"),
        "try_number": _get(ti, "try_number"),
        "exception": None if exc is None else f"{type(exc).__name__}: {exc}"[:2000],
        "reason": context.get("reason"),
        "at": datetime.now(timezone.utc).isoformat(),
    }


def _settings(context: dict) -> dict:
    conf = _get(context.get("dag_run"), "conf") or {}
    ctx = settings.resolve(dict(conf))  # the ctx carries no secret: the webhook is resolved here
    ctx["alert_webhook"] = settings.Settings.load(dict(conf)).alert_webhook or _webhook_from_airflow()
    return ctx


def _webhook_from_airflow() -> str | None:
    try:
        from common.settings import airflow_values

        return airflow_values().get("alert_webhook")
    except Exception:  # no Airflow context (tests, CLI)
        return None


def _notify(record: dict, ctx: dict) -> list[str]:
    """Send the record to the configured channels; returns where it went."""
    sent = []
    outbox = Path(ctx["outbox"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / FAILURES_FILE
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
    sent.append(f"outbox:{path}")
    text = (f"carbonwatch {record['kind']}: {record['dag_id']} run {record['run_id']}"
            + (f" task {record['task_id']}" + (f"[{record['map_index']}]" if record.get("map_index") not in (None, -1) else "")
               if record.get("task_id") else "")
            + (f" — {record['exception']}" if record.get("exception") else ""))
    notifiers = _project_notifiers()
    if notifiers is not None:
        try:
            sent += notifiers(record, text, ctx)
        except Exception as exc:
            log.error("carbonwatch.alerting.notifiers failed: %s", exc)
        return sent
    url = ctx.get("alert_webhook") or settings.env("ALERT_WEBHOOK")
    if url:
        import requests

        try:
            requests.post(url, json={"failure": record, "text": text}, timeout=10).raise_for_status()
            sent.append("webhook")
        except requests.RequestException as exc:
            log.error("failure webhook did not take the alert: %s", type(exc).__name__)
    return sent


def _project_notifiers():
    """carbonwatch/alerting/notifiers.py, when another part of the project provides it: a function
    ``notify_failure(record, text, ctx) -> list[str]``. None when it is absent."""
    try:
        from carbonwatch.alerting import notifiers  # noqa: F401
    except ImportError:
        return None
    fn = getattr(notifiers, "notify_failure", None)
    return fn if callable(fn) else None


def on_task_failure(context: dict) -> None:
    """Task-level on_failure_callback (runs once the task's retries are exhausted)."""
    _safe(context, "task_failed")


def on_dag_failure(context: dict) -> None:
    """DAG-level on_failure_callback (the run ended failed, e.g. dagrun_timeout)."""
    _safe(context, "dag_run_failed")


def _safe(context: dict, kind: str) -> list[str]:
    try:
        record = failure_record(context, kind)
        sent = _notify(record, _settings(context))
        log.warning("failure alert sent to %s: %s", ", ".join(sent), record)
        return sent
    except Exception as exc:  # never mask the original failure
        log.error("failure callback could not alert: %r", exc)
        return []
