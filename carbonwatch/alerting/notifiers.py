"""The Airflow notifier that delivers carbonwatch's change alerts.

`CarbonwatchAlertNotifier` is an `airflow.sdk.BaseNotifier`: the DAG's `alert` task calls it
(tasks.alert), and it can equally be attached as a DAG/task callback
(`on_success_callback=CarbonwatchAlertNotifier(warehouse=...)`). It opens the warehouse,
offers every configured channel the alerts that channel has not taken yet, and records the
deliveries (carbonwatch.alerting.channels.deliver_pending): the same change never alerts twice.

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

from airflow.sdk import BaseNotifier

from common import settings
from carbonwatch.alerting.channels import Channel, OutboxChannel, SmtpChannel, WebhookChannel, deliver_pending

log = logging.getLogger("carbonwatch.alerting.notifiers")

WEBHOOK_CONN_ID, WEBHOOK_CONN_ID_ALT = settings.WEBHOOK_CONN_IDS
SMTP_CONN_ID = settings.SMTP_CONN_ID


def _mask(secret: str | None) -> None:
    if secret:
        try:
            from airflow.sdk.log import mask_secret

            mask_secret(secret)
        except Exception:  # noqa: BLE001 — masking is best effort outside a task
            pass


def webhook_channel(conn_id: str | None = WEBHOOK_CONN_ID, url: str | None = None) -> WebhookChannel | None:
    """The webhook Connection (common.settings.webhook_connection), else `url`, else the environment."""
    ids = () if not conn_id else ((conn_id, WEBHOOK_CONN_ID_ALT) if conn_id == WEBHOOK_CONN_ID else (conn_id,))
    target = settings.webhook_connection(ids) or (settings.WebhookTarget(url, settings.env("ALERT_WEBHOOK_TOKEN"))
                                                 if url else settings.webhook_from_env())
    if target is None:
        return None
    _mask(target.token)
    return WebhookChannel(target.url, target.token, target.timeout)


def smtp_channel(conn_id: str | None = SMTP_CONN_ID) -> SmtpChannel | None:
    target = settings.smtp_settings(conn_id)
    if target is None:
        return None
    _mask(target.password)
    return SmtpChannel(target.host, target.port, target.user, target.password, target.sender, target.to,
                       target.starttls, target.ssl, target.timeout)


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
    """A failed task or DAG run (carbonwatch.alerting.callbacks) to the webhook and SMTP channels.
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
