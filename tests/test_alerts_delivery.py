"""Change alerts delivered by the Airflow notifier (airflow.sdk.BaseNotifier) to a webhook
(http.server) and by SMTP (aiosmtpd), both on 127.0.0.1; never twice; secrets from an Airflow
connection or the environment, never in logs, the warehouse or the outbox."""
from __future__ import annotations

import json
import logging
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from airflow.sdk import BaseNotifier
from carbonwatch.alerting.notifiers import CarbonwatchAlertNotifier
from warehouse.db import connect
from warehouse_fixtures import EDITION2_ALERTS, Doc, F, run, sample_warehouse

WEBHOOK_TOKEN = "wh-tok-3f9a7c1e5d"
SMTP_PASSWORD = "smtp-pw-8b2d4e6f0a"
SMTP_USER = "carbonwatch"


class Webhook:
    def __init__(self):
        self.requests: list[dict] = []
        self.fail_next = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if self.headers.get("Authorization") != f"Bearer {WEBHOOK_TOKEN}":
                    self.send_response(401)
                elif outer.fail_next:
                    outer.fail_next -= 1
                    self.send_response(500)
                else:
                    outer.requests.append({"headers": dict(self.headers), "json": json.loads(body)})
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/carbonwatch"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self) -> list[dict]:
        return [a for r in self.requests for a in r["json"]["alerts"]]


class Mailbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _auth(server, session, envelope, mechanism, auth_data):
    ok = auth_data.login == SMTP_USER.encode() and auth_data.password == SMTP_PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture()
def webhook():
    hook = Webhook()
    yield hook
    hook.server.shutdown()


@pytest.fixture()
def smtp():
    box = Mailbox()
    import socket

    with socket.socket() as sock:  # a free port (aiosmtpd's readiness check cannot use port 0)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port, authenticator=_auth, auth_require_tls=False,
                            auth_exclude_mechanism=["LOGIN"])  # smtplib: PLAIN only, 535 on failure
    controller.start()
    yield box, controller.port
    controller.stop()


@pytest.fixture()
def configured(monkeypatch, webhook, smtp, tmp_path):
    """Webhook from the environment, SMTP from an Airflow connection (also given by env)."""
    box, port = smtp
    monkeypatch.setenv("CARBONWATCH_ALERT_WEBHOOK", webhook.url)
    monkeypatch.setenv("CARBONWATCH_ALERT_WEBHOOK_TOKEN", WEBHOOK_TOKEN)
    monkeypatch.setenv("AIRFLOW_CONN_CARBONWATCH_SMTP", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": port, "login": SMTP_USER, "password": SMTP_PASSWORD,
        "extra": {"from": "carbonwatch@example.org", "to": "analyst@example.org, ops@example.org"}}))
    wh = sample_warehouse(tmp_path / "wh.duckdb")
    return {"warehouse": wh, "outbox": tmp_path / "outbox", "webhook": webhook, "mailbox": box}


def notify(cfg) -> dict:
    n = CarbonwatchAlertNotifier(warehouse=str(cfg["warehouse"]), outbox=str(cfg["outbox"]))
    assert isinstance(n, BaseNotifier)
    n({"run_id": "test"})
    return n.result


def no_secret_anywhere(cfg, text: str) -> None:
    for secret in (WEBHOOK_TOKEN, SMTP_PASSWORD):
        assert secret not in text
        con = connect(cfg["warehouse"], read_only=True)
        try:
            dump = repr(con.execute("SELECT * FROM alerts").fetchall()) + \
                repr(con.execute("SELECT * FROM alert_deliveries").fetchall())
        finally:
            con.close()
        assert secret not in dump
        outbox = cfg["outbox"] / "alerts.jsonl"
        assert not outbox.exists() or secret not in outbox.read_text(encoding="utf-8")


def test_notifier_delivers_to_webhook_and_smtp_once(configured, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    cfg = configured
    result = notify(cfg)
    assert result["delivered"] == {"outbox": 5, "webhook": 5, "smtp": 5} and not result["failed"]
    # webhook: one POST with the bearer token (checked by the receiver), every alert with both evidences
    hook = cfg["webhook"]
    assert len(hook.requests) == 1 and hook.requests[0]["headers"]["Idempotency-Key"]
    got = {(a["case_no"], a["metric"], a["change"], a["old_value"], a["new_value"]) for a in hook.alerts()}
    assert got == EDITION2_ALERTS
    changed = [a for a in hook.alerts() if a["change"] == "changed"]
    assert all(a["old_evidence"] and a["new_evidence"] and a["old_document_id"] and a["new_document_id"]
               for a in changed)
    # SMTP: one message (authenticated) to both recipients, listing every change with both quotes
    (msg,) = cfg["mailbox"].messages
    assert msg["To"] == "analyst@example.org, ops@example.org"
    assert "5 climate-target changes" in msg["Subject"]
    body = msg.get_content()
    assert "carbon_neutral 2060 → 2055" in body and "re100 — → member" in body
    assert "before: “carbon_neutral 2060" in body and "now: “carbon_neutral 2055" in body
    # all channels took them: delivered, and the same change never alerts twice
    con = connect(cfg["warehouse"], read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM alerts WHERE delivered_at IS NULL").fetchone() == (0,)
        assert con.execute("SELECT DISTINCT delivery FROM alerts").fetchall() == [("outbox+smtp+webhook",)]
    finally:
        con.close()
    result = notify(cfg)
    assert result["pending"] == 0 and result["delivered"] == {}
    assert len(hook.requests) == 1 and len(cfg["mailbox"].messages) == 1
    # a later edition: only its new change is delivered
    con = connect(cfg["warehouse"])
    try:
        run(con, "r3", [Doc(3, 2025, [F("peak", 2029), F("sbti", status="target")])])
    finally:
        con.close()
    result = notify(cfg)
    assert result["delivered"] == {"outbox": 1, "webhook": 1, "smtp": 1}
    assert [(a["case_no"], a["old_value"], a["new_value"]) for a in hook.requests[-1]["json"]["alerts"]] == \
        [(3, "2030", "2029")]
    assert len(cfg["outbox"].joinpath("alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 6
    out = capfd.readouterr()
    no_secret_anywhere(cfg, caplog.text + out.out + out.err)


def test_a_failed_channel_is_retried_without_repeating_the_others(configured, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    cfg = configured
    cfg["webhook"].fail_next = 1
    result = notify(cfg)
    assert sorted(result["delivered"]) == ["outbox", "smtp"] and "HTTP 500" in result["failed"]["webhook"]
    con = connect(cfg["warehouse"], read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM alerts WHERE delivered_at IS NULL").fetchone() == (5,)
    finally:
        con.close()
    result = notify(cfg)  # the next run: only the webhook gets them
    assert result["delivered"] == {"webhook": 5}
    assert len(cfg["mailbox"].messages) == 1 and len(cfg["webhook"].requests) == 1
    assert len(cfg["outbox"].joinpath("alerts.jsonl").read_text(encoding="utf-8").splitlines()) == 5
    out = capfd.readouterr()
    no_secret_anywhere(cfg, caplog.text + out.out + out.err)


def test_wrong_credentials_fail_without_leaking_the_secret(configured, monkeypatch, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    cfg = configured
    # the webhook URL carries a wrong token in its query string; SMTP gets a wrong password
    monkeypatch.setenv("CARBONWATCH_ALERT_WEBHOOK", cfg["webhook"].url + "?token=" + WEBHOOK_TOKEN[::-1])
    monkeypatch.setenv("CARBONWATCH_ALERT_WEBHOOK_TOKEN", WEBHOOK_TOKEN[::-1])
    conn = json.loads(__import__("os").environ["AIRFLOW_CONN_CARBONWATCH_SMTP"])
    conn["password"] = SMTP_PASSWORD[::-1]
    monkeypatch.setenv("AIRFLOW_CONN_CARBONWATCH_SMTP", json.dumps(conn))
    result = notify(cfg)
    assert sorted(result["failed"]) == ["smtp", "webhook"] and result["delivered"] == {"outbox": 5}
    out = capfd.readouterr()
    text = caplog.text + out.out + out.err + json.dumps(result)
    assert "401" in text and "SMTPAuthenticationError" in text
    for secret in (WEBHOOK_TOKEN[::-1], SMTP_PASSWORD[::-1]):
        assert secret not in text


def test_smtp_and_webhook_from_the_environment_only(monkeypatch, webhook, smtp, tmp_path, caplog, capfd):
    box, port = smtp
    monkeypatch.delenv("AIRFLOW_CONN_CARBONWATCH_SMTP", raising=False)
    monkeypatch.setenv("CARBONWATCH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CARBONWATCH_SMTP_PORT", str(port))
    monkeypatch.setenv("CARBONWATCH_SMTP_USER", SMTP_USER)
    monkeypatch.setenv("CARBONWATCH_SMTP_PASSWORD", SMTP_PASSWORD)
    monkeypatch.setenv("CARBONWATCH_SMTP_TO", "analyst@example.org")
    # the webhook from an Airflow connection this time (token = its password)
    monkeypatch.delenv("CARBONWATCH_ALERT_WEBHOOK", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_CARBONWATCH_WEBHOOK", json.dumps({
        "conn_type": "http", "host": webhook.url, "password": WEBHOOK_TOKEN}))
    caplog.set_level(logging.DEBUG)
    cfg = {"warehouse": sample_warehouse(tmp_path / "wh.duckdb"), "outbox": tmp_path / "outbox"}
    result = notify(cfg)
    assert result["delivered"] == {"outbox": 5, "webhook": 5, "smtp": 5}
    assert len(box.messages) == 1 and len(webhook.requests) == 1
    out = capfd.readouterr()
    no_secret_anywhere(cfg, caplog.text + out.out + out.err)


def test_the_alert_task_uses_the_notifier_and_publishes_the_snapshot(configured):
    from carbonwatch.orchestration import tasks
    from warehouse.snapshot import snapshot_path

    cfg = configured
    ctx = {"warehouse": str(cfg["warehouse"]), "outbox": str(cfg["outbox"]), "run_id": "sample-run-2",
           "alert_webhook": None}
    out = tasks.alert(ctx, {"alerts": 5})
    assert out["delivered"] == 15 and out["delivery_failed"] == []
    snap = snapshot_path(cfg["warehouse"])
    con = connect(snap, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM alerts WHERE delivered_at IS NOT NULL").fetchone() == (5,)
    finally:
        con.close()


def test_failure_notices_go_to_the_same_channels(configured, caplog, capfd):
    """carbonwatch.alerting.callbacks hands failed runs to notifiers.notify_failure."""
    from carbonwatch.alerting.notifiers import notify_failure

    caplog.set_level(logging.DEBUG)
    record = {"kind": "task_failed", "dag_id": "carbonwatch_nightly", "run_id": "r1", "task_id": "load"}
    sent = notify_failure(record, "carbonwatch task_failed: carbonwatch_nightly run r1 task load", {})
    assert sent == ["webhook", "smtp"]
    body = configured["webhook"].requests[-1]["json"]
    assert body["failure"] == record and "task load" in body["text"]
    (msg,) = configured["mailbox"].messages
    assert msg["Subject"].startswith("carbonwatch task_failed") and "run r1" in msg.get_content()
    out = capfd.readouterr()
    no_secret_anywhere(configured, caplog.text + out.out + out.err)
