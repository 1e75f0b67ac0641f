"""The Airflow notifier that delivers carbonwatch's change alerts.

`CarbonwatchAlertNotifier` is an `airflow.sdk.BaseNotifier`: the DAG's `alert` task calls it
(tasks.alert), and it can equally be attached as a DAG/task callback
(`on_success_callback=CarbonwatchAlertNotifier(warehouse=...)`). It opens the warehouse,
offers every configured channel the alerts that channel has not taken yet, and records the
deliveries (carbonwatch.alerts.deliver_pending): the same change never alerts twice.

Channels and where their settings (and secrets) come from — an Airflow connection first, else
the environment; secrets are never logged (Airflow masks connection passwords, and every
carbonwatch message is redacted):

  outbox   always: <outbox>/alerts.jsonl
  webhook  connection `carbonwatch_webhook` (type http: host = URL or host name, schema, port,
           extra {"endpoint": "/path"}; password = bearer token)
           else CARBONWATCH_ALERT_WEBHOOK (URL) + CARBONWATCH_ALERT_WEBHOOK_TOKEN
  smtp     connection `carbonwatch_smtp` (type smtp: host, port, login, password,
           extra {"from": ..., "to": "a@x, b@y", "starttls": false, "ssl": false})
           else CARBONWATCH_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _TO, _STARTTLS, _SSL

Connections can themselves come from the environment (AIRFLOW_CONN_CARBONWATCH_SMTP='{...}')
or any Airflow secrets backend.
"""
from __future__ import annotations

import logging
import os

from airflow.sdk import BaseNotifier

from carbonwatch.alerts import Channel, OutboxChannel, SmtpChannel, WebhookChannel, deliver_pending

log = logging.getLogger("carbonwatch.notifiers")

WEBHOOK_CONN_ID = "carbonwatch_webhook"
WEBHOOK_CONN_ID_ALT = "carbonwatch_alert_webhook"  # the name carbonwatch.tasks.airflow_settings reads
SMTP_CONN_ID = "carbonwatch_smtp"


def _mask(secret: str | None) -> None:
    if secret:
        try:
            from airflow.sdk.log import mask_secret

            mask_secret(secret)
        except Exception:  # noqa: BLE001 — masking is best effort outside a task
            pass


def _connection(conn_id: str | None):
    if not conn_id:
        return None
    try:
        from airflow.sdk import BaseHook

        return BaseHook.get_connection(conn_id)
    except Exception as exc:  # noqa: BLE001 — not defined (AirflowNotFoundException) or no Airflow
        log.debug("no Airflow connection %s (%s): using the environment", conn_id, type(exc).__name__)
        return None


def _truthy(v) -> bool:
    return str(v).strip().lower() in {"1", "true", "yes", "on"}


def webhook_channel(conn_id: str | None = WEBHOOK_CONN_ID, url: str | None = None,
                    env: dict | None = None) -> WebhookChannel | None:
    env = os.environ if env is None else env
    conn = _connection(conn_id)
    if (conn is None or not conn.host) and conn_id == WEBHOOK_CONN_ID:
        conn = _connection(WEBHOOK_CONN_ID_ALT)
    if conn is not None and conn.host:
        extra = conn.extra_dejson or {}
        if "://" in conn.host:
            target = conn.host
        else:
            scheme = conn.schema or "https"
            target = f"{scheme}://{conn.host}" + (f":{conn.port}" if conn.port else "")
        target += extra.get("endpoint", "")
        _mask(conn.password)
        return WebhookChannel(target, conn.password or None, float(extra.get("timeout", 10)))
    url = url or env.get("CARBONWATCH_ALERT_WEBHOOK")
    if not url:
        return None
    token = env.get("CARBONWATCH_ALERT_WEBHOOK_TOKEN") or None
    _mask(token)
    return WebhookChannel(url, token)


def smtp_channel(conn_id: str | None = SMTP_CONN_ID, env: dict | None = None) -> SmtpChannel | None:
    env = os.environ if env is None else env
    conn = _connection(conn_id)
    if conn is not None and conn.host:
        extra = conn.extra_dejson or {}
        _mask(conn.password)
        to = extra.get("to") or ""
        return SmtpChannel(conn.host, conn.port or 25, conn.login or None, conn.password or None,
                           extra.get("from") or "carbonwatch@localhost",
                           [t.strip() for t in (to if isinstance(to, list) else to.split(",")) if t.strip()],
                           _truthy(extra.get("starttls", False)), _truthy(extra.get("ssl", False)),
                           float(extra.get("timeout", 30)))
    host = env.get("CARBONWATCH_SMTP_HOST")
    if not host:
        return None
    password = env.get("CARBONWATCH_SMTP_PASSWORD") or None
    _mask(password)
    return SmtpChannel(host, int(env.get("CARBONWATCH_SMTP_PORT") or 25), env.get("CARBONWATCH_SMTP_USER") or None,
                       password, env.get("CARBONWATCH_SMTP_FROM") or "carbonwatch@localhost",
                       [t.strip() for t in (env.get("CARBONWATCH_SMTP_TO") or "").split(",") if t.strip()],
                       _truthy(env.get("CARBONWATCH_SMTP_STARTTLS", "")), _truthy(env.get("CARBONWATCH_SMTP_SSL", "")))


def channels(outbox: str | None, webhook_url: str | None = None, webhook_conn_id: str | None = WEBHOOK_CONN_ID,
             smtp_conn_id: str | None = SMTP_CONN_ID) -> list[Channel]:
    out: list[Channel] = []
    if outbox:
        out.append(OutboxChannel(outbox))
    for ch in (webhook_channel(webhook_conn_id, webhook_url), smtp_channel(smtp_conn_id)):
        if ch is not None:
            out.append(ch)
    return out


def notify_failure(record: dict, text: str, ctx: dict) -> list[str]:
    """A failed task or DAG run (carbonwatch.callbacks) to the webhook and SMTP channels.
    Returns the channels that took it; never raises for a channel's fault."""
    sent = []
    for ch in channels(None, ctx.get("alert_webhook")):
        try:
            ch.deliver_text(text.splitlines()[0][:200] if text else "carbonwatch failure", text,
                            {"failure": record})
            sent.append(ch.name)
        except Exception as exc:  # noqa: BLE001 — the message is already redacted (DeliveryError)
            log.error("failure notice not delivered: %s", exc)
    return sent


class CarbonwatchAlertNotifier(BaseNotifier):
    """Deliver the warehouse's undelivered change alerts to the outbox, webhook and SMTP.

    :param warehouse: the DuckDB file (templated)
    :param outbox: folder of alerts.jsonl (templated); None: no outbox
    :param webhook_url: fallback webhook URL when there is no `carbonwatch_webhook` connection
    """

    template_fields = ("warehouse", "outbox")

    def __init__(self, *, warehouse: str, outbox: str | None = None, webhook_url: str | None = None,
                 webhook_conn_id: str | None = WEBHOOK_CONN_ID, smtp_conn_id: str | None = SMTP_CONN_ID,
                 channels: list[Channel] | None = None):
        super().__init__()
        self.warehouse = warehouse
        self.outbox = outbox
        self.webhook_url = webhook_url
        self.webhook_conn_id = webhook_conn_id
        self.smtp_conn_id = smtp_conn_id
        self._channels = channels
        self.result: dict | None = None

    def channels(self) -> list[Channel]:
        if self._channels is not None:
            return self._channels
        return channels(self.outbox, self.webhook_url, self.webhook_conn_id, self.smtp_conn_id)

    def notify(self, context) -> None:
        from warehouse.db import connect

        chans = self.channels()
        con = connect(self.warehouse)
        try:
            self.result = deliver_pending(con, chans)
        finally:
            con.close()
        self.result["channels"] = [c.name for c in chans]
        log.info("alert delivery: %d pending, delivered %s, failed %s", self.result["pending"],
                 self.result["delivered"] or "nothing", sorted(self.result["failed"]) or "none")
