"""Alert-delivery bookkeeping: which alerts each channel has taken, and when an alert is delivered.

A delivery row per alert and channel (keyed: a channel re-offered an alert records it once); an
alert is delivered once every required channel has it. carbonwatch.alerting does the sending.
"""
from __future__ import annotations

from warehouse.db import rows, transaction, utcnow


def pending_alerts(con, channels: list[str] | None = None) -> list[dict]:
    """Alerts some channel has not taken yet; each with `delivered_to`, the channels that have."""
    out = rows(con, "SELECT a.*, coalesce((SELECT list(channel ORDER BY channel) FROM alert_deliveries d "
                    "WHERE d.alert_id = a.alert_id), []) AS delivered_to FROM alerts a "
                    "WHERE a.delivered_at IS NULL ORDER BY a.created_at, a.case_no, a.target_key")
    if channels is not None:
        out = [a for a in out if set(channels) - set(a["delivered_to"])]
    return out


def mark_delivered(con, alert_ids: list[str], channel: str, detail: str | None = None,
                   required: list[str] | None = None) -> None:
    """Record that `channel` took these alerts; an alert is delivered once every channel in
    `required` (default: just this one) has it."""
    if not alert_ids:
        return
    required = sorted(set(required or [channel]))
    now = utcnow()
    with transaction(con):
        con.executemany("INSERT INTO alert_deliveries VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                        [[a, channel, now, detail] for a in alert_ids])
        con.execute(
            "UPDATE alerts SET delivered_at = ?, delivery = (SELECT string_agg(channel, '+' ORDER BY channel) "
            "FROM alert_deliveries d WHERE d.alert_id = alerts.alert_id) "
            "WHERE delivered_at IS NULL AND alert_id IN (SELECT unnest(?)) AND "
            "(SELECT count(*) FROM alert_deliveries d WHERE d.alert_id = alerts.alert_id "
            " AND d.channel IN (SELECT unnest(?))) = ?",
            [now, alert_ids, required, len(required)])
