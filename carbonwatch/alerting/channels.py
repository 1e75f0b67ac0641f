"""Change alerts: their text, and the channels that deliver them.

Channels: the outbox (a JSON-lines file, always), a webhook and SMTP e-mail (each when
configured; see carbonwatch.alerting.notifiers, which builds them from Airflow connections or the
environment and delivers through an Airflow notifier).

Delivery is at-least-once per channel and never twice: `alert_deliveries` records which channel
took which alert; a channel is only offered the alerts it has not taken, and a failed channel
is retried by the next run while the others are not repeated. Secrets (webhook token, SMTP
password) are never logged, stored or put in an error message: every message is redacted.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import logging
import smtplib
import socket
import ssl
import threading
from contextlib import contextmanager
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

log = logging.getLogger("carbonwatch.alerting.channels")

PUBLIC_FIELDS = ("alert_id", "created_at", "case_no", "company", "metric", "target_key", "change", "old_value",
                 "new_value", "old_document_id", "old_page", "old_evidence", "new_document_id", "new_page",
                 "new_evidence", "run_id")


def format_alert(a: dict) -> str:
    arrow = f"{a.get('old_value') or '—'} → {a.get('new_value') or '—'}"
    return f"[{a['change']}] case {a['case_no']} {a.get('company') or ''}: {a['metric']} {arrow}"


def format_alert_long(a: dict) -> str:
    """An alert with both evidences, for e-mail."""
    lines = [format_alert(a)]
    if a.get("old_value") is not None:
        lines.append(f"  before: “{a.get('old_evidence') or ''}” (document {str(a.get('old_document_id'))[:12]}, "
                     f"page {a.get('old_page')})")
    if a.get("new_value") is not None or a.get("new_document_id"):
        what = "now" if a.get("new_value") is not None else "dropped in"
        lines.append(f"  {what}: “{a.get('new_evidence') or ''}” (document {str(a.get('new_document_id'))[:12]}, "
                     f"page {a.get('new_page')})")
    return "\n".join(lines)


def _jsonable(a: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, (datetime, date)) else v) for k, v in a.items()
            if k in PUBLIC_FIELDS}


def batch_key(alerts: list[dict]) -> str:
    """Stable id of a batch: receivers can drop a batch they already took (Idempotency-Key)."""
    return hashlib.sha256("|".join(sorted(a["alert_id"] for a in alerts)).encode()).hexdigest()[:32]


class DeliveryError(Exception):
    """A channel failed; the message is already redacted."""


def redact(text: str, secrets: list[str | None]) -> str:
    for s in secrets:
        if s:
            text = text.replace(s, "***")
    return text


class RedactingFilter(logging.Filter):
    """Rewrites log records of third-party loggers (urllib3 logs request URLs at DEBUG) so a
    secret in them becomes ***."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001
            return True
        clean = redact(text, self.secrets)
        if clean != text:
            record.msg, record.args = clean, ()
        return True


THIRD_PARTY_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.util.retry", "urllib3",
                       "requests", "smtplib")


class Channel:
    name = "channel"

    def secrets(self) -> list[str]:
        return []

    def describe(self) -> str:
        """Where alerts go, safe to log and store (no secret)."""
        return self.name

    def send(self, alerts: list[dict]) -> None:
        raise NotImplementedError

    def send_text(self, subject: str, text: str, payload: dict) -> None:
        """A free-form notice (e.g. a failed run, carbonwatch.alerting.callbacks)."""
        raise NotImplementedError

    def deliver(self, alerts: list[dict]) -> None:
        """send(), with every error turned into a redacted DeliveryError and third-party log
        records redacted while it runs."""
        self._guarded(self.send, alerts)

    def deliver_text(self, subject: str, text: str, payload: dict) -> None:
        self._guarded(self.send_text, subject, text, payload)

    def _guarded(self, fn, *args) -> None:
        filt = RedactingFilter(self.secrets())
        loggers = [logging.getLogger(n) for n in THIRD_PARTY_LOGGERS]
        for lg in loggers:
            lg.addFilter(filt)
        try:
            fn(*args)
        except Exception as exc:  # noqa: BLE001 — any failure of a channel is a delivery failure
            raise DeliveryError(redact(f"{self.name} delivery to {self.describe()} failed: "
                                       f"{type(exc).__name__}: {exc}", self.secrets())) from None
        finally:
            for lg in loggers:
                lg.removeFilter(filt)


class OutboxChannel(Channel):
    name = "outbox"

    def __init__(self, folder: str | Path):
        self.path = Path(folder) / "alerts.jsonl"

    def describe(self) -> str:
        return str(self.path)

    def send(self, alerts: list[dict]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            for a in alerts:
                fh.write(json.dumps(_jsonable(a), ensure_ascii=False) + "\n")


def _safe_url(url: str) -> str:
    """Scheme, host and port only: tokens hide in the user info, the query and the path
    (Slack- or Teams-style hooks are /services/T…/B…/<secret>)."""
    u = urlsplit(url)
    host = u.hostname or ""
    netloc = host + (f":{u.port}" if u.port else "")
    return urlunsplit((u.scheme, netloc, "/…" if u.path.strip("/") else "", "", ""))


def url_secrets(url: str) -> list[str]:
    """Every part of a URL that may be a secret, longest first (for redact())."""
    u = urlsplit(url)
    parts = {url, u.path + ("?" + u.query if u.query else ""), u.query, u.password, u.username}
    parts |= {seg for seg in u.path.split("/") if len(seg) >= 6}
    parts |= {unquote(p) for p in set(parts) if p}
    return sorted((p for p in parts if p and p.strip("/")), key=len, reverse=True)


@contextmanager
def total_deadline(seconds: float, sockets):
    """Cut the connection(s) `sockets()` returns once `seconds` have passed, whatever the peer
    does: per-read timeouts never fire on an answer that trickles a byte every few seconds.
    Yields an Event that is set when the deadline cut the connection."""
    fired = threading.Event()

    def cut():
        fired.set()
        for sock in sockets():
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    timer = threading.Timer(seconds, cut)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()


def post_json(url: str, body: bytes, headers: dict, deadline: float) -> int:
    """POST `body`; the HTTP status once the status line and headers are in (the body of the
    answer is not read). The whole exchange, connect included, ends within `deadline` s."""
    u = urlsplit(url)
    if u.scheme not in ("http", "https") or not u.hostname:
        raise DeliveryError(f"not an http(s) URL: {_safe_url(url)}")
    if u.username or u.password:
        cred = f"{unquote(u.username or '')}:{unquote(u.password or '')}".encode()
        headers = headers | {"Authorization": "Basic " + base64.b64encode(cred).decode()}
    if u.scheme == "https":
        conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=deadline, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=deadline)
    target = (u.path or "/") + (f"?{u.query}" if u.query else "")
    try:
        with total_deadline(deadline, lambda: [conn.sock]) as fired:
            try:
                conn.request("POST", target, body=body, headers=headers)
                return conn.getresponse().status
            except (OSError, http.client.HTTPException):
                if fired.is_set():
                    raise DeliveryError(f"no complete answer within {deadline:g}s (total deadline)") from None
                raise
    finally:
        conn.close()


class WebhookChannel(Channel):
    """POST {"alerts": [...]} as JSON; the token goes in `Authorization: Bearer …`."""

    name = "webhook"

    def __init__(self, url: str, token: str | None = None, timeout: float = 10.0):
        self.url, self.token, self.timeout = url, token, timeout

    def secrets(self) -> list[str]:
        return ([self.token] if self.token else []) + url_secrets(self.url)

    def describe(self) -> str:
        return _safe_url(self.url)

    def send(self, alerts: list[dict]) -> None:
        headers = {"Idempotency-Key": batch_key(alerts), "User-Agent": "carbonwatch-alerts"}
        self._post({"alerts": [_jsonable(a) for a in alerts]}, headers)

    def send_text(self, subject: str, text: str, payload: dict) -> None:
        self._post(payload | {"text": text, "subject": subject}, {"User-Agent": "carbonwatch-alerts"})

    def _post(self, body: dict, headers: dict) -> None:
        if self.token:
            headers = headers | {"Authorization": f"Bearer {self.token}"}
        status = post_json(self.url, json.dumps(body, ensure_ascii=False, default=str).encode(),
                           headers | {"Content-Type": "application/json"}, self.timeout)
        if status >= 300:
            raise DeliveryError(f"HTTP {status}")


class SmtpChannel(Channel):
    """One e-mail per batch, plain text, UTF-8, with both evidences of every change."""

    name = "smtp"

    def __init__(self, host: str, port: int = 25, login: str | None = None, password: str | None = None,
                 sender: str = "carbonwatch@localhost", recipients: list[str] | None = None,
                 starttls: bool = False, use_ssl: bool = False, timeout: float = 30.0):
        self.host, self.port, self.login, self.password = host, int(port), login, password
        self.sender, self.recipients = sender, list(recipients or [])
        self.starttls, self.use_ssl, self.timeout = starttls, use_ssl, timeout

    def secrets(self) -> list[str]:
        return [self.password] if self.password else []

    def describe(self) -> str:
        return f"smtp://{self.host}:{self.port} → {', '.join(self.recipients)}"

    def message(self, alerts: list[dict]) -> EmailMessage:
        msg = EmailMessage()
        n = len(alerts)
        msg["Subject"] = f"carbonwatch: {n} climate-target change{'s' if n != 1 else ''}"
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=batch_key(alerts), domain="carbonwatch")
        msg["X-Carbonwatch-Alerts"] = ",".join(a["alert_id"] for a in alerts)
        body = ["Companies changed their published climate targets:", ""]
        body += [format_alert_long(a) + "\n" for a in alerts]
        msg.set_content("\n".join(body), charset="utf-8")
        return msg

    def send(self, alerts: list[dict]) -> None:
        self._send_message(self.message(alerts))

    def send_text(self, subject: str, text: str, payload: dict) -> None:
        msg = EmailMessage()
        msg["Subject"], msg["From"], msg["To"] = subject, self.sender, ", ".join(self.recipients)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="carbonwatch")
        msg.set_content(text, charset="utf-8")
        self._send_message(msg)

    def _send_message(self, msg: EmailMessage) -> None:
        if not self.recipients:
            raise DeliveryError("no recipients configured")
        if self.use_ssl:
            server = smtplib.SMTP_SSL(timeout=self.timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(timeout=self.timeout)
        # the whole conversation, not each read, ends within twice the timeout
        with total_deadline(2 * self.timeout, lambda: [getattr(server, "sock", None)]) as fired:
            try:
                server.set_debuglevel(0)  # smtplib's debug output would print the AUTH exchange
                server.connect(self.host, self.port)
                if self.starttls and not self.use_ssl:
                    server.starttls(context=ssl.create_default_context())
                if self.login:
                    server.login(self.login, self.password or "")
                server.send_message(msg)
                server.quit()
            except (OSError, smtplib.SMTPException):
                if fired.is_set():
                    raise DeliveryError(f"no complete answer within {2 * self.timeout:g}s (total deadline)") from None
                raise
            finally:
                server.close()


def deliver_pending(con, channels: list[Channel]) -> dict:
    """Offer every channel the alerts it has not taken; record what each took.

    Returns {"pending": n, "delivered": {channel: n}, "failed": {channel: redacted error}}."""
    from warehouse.deliveries import mark_delivered, pending_alerts

    names = [c.name for c in channels]
    pending = pending_alerts(con, names)
    out = {"pending": len(pending), "delivered": {}, "failed": {}}
    for ch in channels:
        todo = [a for a in pending if ch.name not in a["delivered_to"]]
        if not todo:
            continue
        try:
            ch.deliver(todo)
        except DeliveryError as exc:
            log.error("alerts not delivered (retried next run): %s", exc)
            out["failed"][ch.name] = str(exc)
            continue
        mark_delivered(con, [a["alert_id"] for a in todo], ch.name, ch.describe(), required=names)
        out["delivered"][ch.name] = len(todo)
        log.info("delivered %d alert(s) by %s to %s", len(todo), ch.name, ch.describe())
    for a in pending:
        log.warning("target change: %s", format_alert(a))
    return out
