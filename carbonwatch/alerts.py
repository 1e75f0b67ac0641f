"""Deliver change alerts: always to a JSON-lines outbox file, and to a webhook when configured.

Delivery is at-least-once: an alert is marked delivered only after a channel took it, so a
failed webhook is retried by the next run.
"""
from __future__ import annotations

import json
import logging
from datetime import date, datetime
from pathlib import Path

log = logging.getLogger("carbonwatch.alerts")


def format_alert(a: dict) -> str:
    arrow = f"{a.get('old_value') or '—'} → {a.get('new_value') or '—'}"
    return f"[{a['change']}] case {a['case_no']} {a.get('company') or ''}: {a['metric']} {arrow}"


def _jsonable(a: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (datetime, date)) else v) for k, v in a.items()}


def deliver(alerts: list[dict], ctx: dict) -> dict[str, list[str]]:
    """Returns {channel description: [alert_id, ...]} of what was delivered."""
    if not alerts:
        return {}
    outbox = Path(ctx["outbox"])
    outbox.mkdir(parents=True, exist_ok=True)
    path = outbox / "alerts.jsonl"
    with path.open("a", encoding="utf-8") as fh:
        for a in alerts:
            fh.write(json.dumps(_jsonable(a), ensure_ascii=False) + "\n")
            log.warning("target change: %s", format_alert(a))
    delivered = {f"outbox:{path}": [a["alert_id"] for a in alerts]}
    url = ctx.get("alert_webhook")
    if url:
        import requests

        try:
            resp = requests.post(url, json={"alerts": [_jsonable(a) for a in alerts]}, timeout=10)
            resp.raise_for_status()
            delivered = {"outbox+webhook": [a["alert_id"] for a in alerts]}
        except requests.RequestException as exc:
            log.error("alert webhook failed (will retry next run): %s", type(exc).__name__)
            return {}
    return delivered
