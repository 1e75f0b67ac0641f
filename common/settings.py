"""Every setting of carbonwatch, read in one place.

Precedence, first found wins: the DAG run's conf > Airflow Variables > Airflow Connections >
the environment (CARBONWATCH_*) > defaults under ./var. Airflow is asked only inside a running
task (`load(conf, airflow=True)`); elsewhere (CLI, tests) conf > environment > defaults.

Environment variables (all optional):
  CARBONWATCH_VAR        folder for generated files (default ./var)
  CARBONWATCH_WAREHOUSE  DuckDB file (default $CARBONWATCH_VAR/warehouse.duckdb)
  CARBONWATCH_SOURCES    sources CSV (default sources/mirror.csv of the repo)
  CARBONWATCH_RAW        content-addressed raw documents (default $CARBONWATCH_VAR/raw)
  CARBONWATCH_WORK       stage outputs of each run, JSON lines keyed by run (default: `work` in the raw folder)
  CARBONWATCH_SHARD_SIZE companies per fetch/extract task instance (default 200: a few minutes of work)
  CARBONWATCH_SHARD_THREADS  companies crawled / documents extracted at once inside a shard (default 4)
  CARBONWATCH_SHARED     the shared read-only data: seeds, reports, real PDFs (default ../shared)
  CARBONWATCH_REPORT     the 100-case report PDF used to bootstrap a new warehouse
                         (default $CARBONWATCH_SHARED/reports/report100-2023.zh.pdf)
  CARBONWATCH_SECOND_REPORT  a second seed report (titled company cases) loaded with it
                         (default $CARBONWATCH_SHARED/reports/amcham-dual-carbon.zh.pdf; "none": only the first)
  CARBONWATCH_GX         Great Expectations' file context (default: `gx` beside the warehouse)
  CARBONWATCH_CONTACT    contact put in the crawler's User-Agent
  CARBONWATCH_PER_HOST_DELAY  seconds between two requests to one host (default 0)
  CARBONWATCH_REVIEW_CONFIDENCE  facts below this confidence (0..1, default 0.65) change no target
                         and raise no alert: they wait in `carbonwatch review`
  CARBONWATCH_ALERT_WEBHOOK, CARBONWATCH_ALERT_WEBHOOK_TOKEN  where change alerts are POSTed
  CARBONWATCH_SMTP_HOST, _PORT, _USER, _PASSWORD, _FROM, _TO, _STARTTLS, _SSL  alert e-mail
  CARBONWATCH_CNINFO_URL, _CNINFO_STATIC_URL, _HKEX_URL, _EDGAR_URL, _EDGAR_ARCHIVES_URL
                         the disclosure systems the feed adapters ask (feed_endpoints)
  CARBONWATCH_WATCH_INTERVAL  seconds between two polls of `carbonwatch watch` (default 60)
  CARBONWATCH_RETRY_AFTER     seconds before a failed disclosure is tried again, doubled per attempt (default 300)
  CARBONWATCH_DOCUMENT_DEADLINE (120 s)  total time to download one document (all reads, retries)
  CARBONWATCH_COMPANY_BUDGET (600 s)  total time to crawl one company's site; both end well
                         inside the fetch task's timeout (FETCH_TASK_TIMEOUT, 60 min per shard)
  CARBONWATCH_MAX_SOURCES (100000)  rows a sources file may have (the nightly maps shards, not rows)
  CARBONWATCH_LOCK_WAIT (0 s)  how long a second writer waits for the warehouse lock
  CARBONWATCH_DOC_TIMEOUT (300 s), CARBONWATCH_DOC_MAX_RSS_MB (1024),
  CARBONWATCH_DOC_MAX_PAGES (3000), CARBONWATCH_DOC_START_METHOD (fork)  per-PDF caps

Airflow Variables: see AIRFLOW_VARIABLES. Connections: `carbonwatch_webhook` (or
`carbonwatch_alert_webhook`; type http, host = URL or host name, password = bearer token) and
`carbonwatch_smtp`.

The ground floor: imports nothing of the project (Airflow only lazily, inside a task).
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# Every task that opens the DuckDB file shares this pool's one slot, on this Celery queue.
DUCKDB_POOL = "carbonwatch_duckdb_writer"
DUCKDB_POOL_DESCRIPTION = "carbonwatch: every task that opens the DuckDB warehouse, one at a time"
DUCKDB_QUEUE = "duckdb_writer"

# The nightly maps fetch and extract over shards of companies, not one task per company: a
# task instance costs ~0.1 s in dag.test() and seconds on a Celery worker; a company is ~1 s of
# a shard's time on real sites (a polite crawl of 3-5 s, 4 companies at once) plus ~0.2 s per
# real report extracted (docs/scale-out.md), so 200 companies make a shard of a few minutes.
# Airflow maps at most core.max_map_length (1,024) items: above 1,024 x shard_size companies
# the shards grow instead (orchestration/shards.py).
DEFAULT_SHARD_SIZE = 200
DEFAULT_RETRY_AFTER = 300.0  # seconds before a failed disclosure is tried again (setting CARBONWATCH_RETRY_AFTER)
MAX_SHARDS = 1024

# The nightly's fetch task timeout (dags/carbonwatch_nightly.py): one shard's crawls. A company's
# crawl budget is held to its share of COMPANY_BUDGET_SHARE of it (orchestration/tasks.fetch),
# so bad input ends the crawl, never the task timeout.
FETCH_TASK_TIMEOUT = 60 * 60.0
COMPANY_BUDGET_SHARE = 0.75

AIRFLOW_VARIABLES = {  # Airflow Variable -> setting
    "carbonwatch_sources": "sources",
    "carbonwatch_warehouse": "warehouse",
    "carbonwatch_raw_dir": "raw_dir",
    "carbonwatch_report": "report",
    "carbonwatch_second_report": "second_report",
    "carbonwatch_outbox": "outbox",
    "carbonwatch_alert_webhook": "alert_webhook",
}
WEBHOOK_CONN_IDS = ("carbonwatch_webhook", "carbonwatch_alert_webhook")
SMTP_CONN_ID = "carbonwatch_smtp"


def env(name: str, default: str | None = None) -> str | None:
    """CARBONWATCH_<name> from the environment ('' counts as unset)."""
    value = os.environ.get(f"CARBONWATCH_{name}")
    return default if value in (None, "") else value


def var_dir() -> Path:
    return Path(env("VAR") or REPO / "var").resolve()


def shared_dir() -> Path:
    """The shared read-only data (seed reports, real PDFs) the report default, tests and
    benchmarks read."""
    return Path(env("SHARED") or REPO.parent / "shared")


@dataclass(frozen=True)
class Settings:
    """Where things are, resolved once per run; `as_dict()` is the run's ctx (XCom-able)."""

    var: str
    warehouse: str
    sources: str
    raw_dir: str
    report: str
    second_report: str | None
    outbox: str
    alert_webhook: str | None
    per_host_delay: float
    gx_root: str
    work_dir: str
    shard_size: int
    shard_threads: int
    review_confidence: float
    document_deadline: float = 120.0
    company_budget: float = 600.0

    def as_dict(self) -> dict:
        """The run's ctx, which Airflow stores (XCom, rendered fields) and logs: no secret in it.
        The webhook URL (tokens hide in its path and query) is resolved again where it is used."""
        return asdict(self) | {"alert_webhook": None}

    @classmethod
    def load(cls, conf: dict | None = None, *, airflow: bool = False) -> "Settings":
        given = {k: v for k, v in (conf or {}).items() if v not in (None, "")}
        if airflow:
            given = airflow_values() | given
        var = Path(given.get("var") or var_dir())

        def path(key: str, env_name: str | None, default: Path) -> str:
            return str(Path(given.get(key) or (env(env_name) if env_name else None) or default).resolve())

        warehouse = path("warehouse", "WAREHOUSE", var / "warehouse.duckdb")
        raw_dir = path("raw_dir", "RAW", var / "raw")
        return cls(
            var=str(var),
            warehouse=warehouse,
            sources=path("sources", "SOURCES", REPO / "sources" / "mirror.csv"),
            raw_dir=raw_dir,
            report=path("report", "REPORT", shared_dir() / "reports" / "report100-2023.zh.pdf"),
            second_report=None if str(given.get("second_report") or env("SECOND_REPORT") or "").lower() == "none"
            else path("second_report", "SECOND_REPORT", shared_dir() / "reports" / "amcham-dual-carbon.zh.pdf"),
            outbox=path("outbox", None, var / "alerts"),
            alert_webhook=given.get("alert_webhook") or env("ALERT_WEBHOOK"),
            per_host_delay=float(given.get("per_host_delay", env("PER_HOST_DELAY", "0"))),
            gx_root=path("gx_root", "GX", Path(warehouse).parent / "gx"),
            work_dir=path("work_dir", "WORK", Path(raw_dir) / "work"),
            shard_size=max(1, int(given.get("shard_size") or env("SHARD_SIZE", str(DEFAULT_SHARD_SIZE)))),
            shard_threads=max(1, int(given.get("shard_threads") or env("SHARD_THREADS", "4"))),
            review_confidence=review_confidence(given.get("review_confidence")),
            **crawl_budget(given.get("document_deadline"), given.get("company_budget")),
        )


def resolve(conf: dict | None = None, *, airflow: bool = False) -> dict:
    """The run's settings as a plain dict (the ctx every task receives)."""
    return Settings.load(conf, airflow=airflow).as_dict()


def gx_root(ctx: dict) -> str:
    """Great Expectations' file context of a run's ctx: its own, else the one beside its warehouse."""
    return ctx.get("gx_root") or Settings.load({"warehouse": ctx["warehouse"]}).gx_root


# ----------------------------------------------------------------------------- Airflow

def airflow_values() -> dict:
    """Settings kept in Airflow: the Variables of AIRFLOW_VARIABLES, then the webhook Connection.
    Only inside a running task; {} where Airflow cannot be asked."""
    try:
        from airflow.sdk import Variable
    except ImportError:
        return {}
    out = {}
    for key, setting in AIRFLOW_VARIABLES.items():
        try:
            value = Variable.get(key, default=None)
        except Exception:  # outside a task / no API server
            return out
        if value not in (None, ""):
            out[setting] = value
    if "alert_webhook" not in out:
        hook = webhook_connection()
        if hook:
            out["alert_webhook"] = hook.url
    return out


def airflow_connection(conn_id: str):
    """An Airflow Connection, or None when it is not defined or Airflow cannot be asked."""
    try:
        from airflow.sdk import BaseHook

        return BaseHook.get_connection(conn_id)
    except Exception:  # AirflowNotFoundException, no Airflow, no task context
        return None


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    token: str | None = None
    timeout: float = 10.0


def webhook_connection(conn_ids: tuple[str, ...] = WEBHOOK_CONN_IDS) -> WebhookTarget | None:
    """The first defined webhook Connection as a URL (host = whole URL, or host + schema/port +
    extra.endpoint; the scheme defaults to https) and its bearer token (password)."""
    for conn_id in conn_ids:
        conn = airflow_connection(conn_id)
        if conn is None or not conn.host:
            continue
        extra = conn.extra_dejson or {}
        if "://" in conn.host:
            url = conn.host
        else:
            scheme = conn.schema if conn.schema in ("http", "https") else "https"
            url = f"{scheme}://{conn.host}" + (f":{conn.port}" if conn.port else "")
        return WebhookTarget(url + extra.get("endpoint", ""), conn.password or None, float(extra.get("timeout", 10)))
    return None


def webhook_from_env() -> WebhookTarget | None:
    url = env("ALERT_WEBHOOK")
    return WebhookTarget(url, env("ALERT_WEBHOOK_TOKEN")) if url else None


def _truthy(v) -> bool:
    return str(v).strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    to: list[str]
    starttls: bool
    ssl: bool
    timeout: float = 30.0


def smtp_settings(conn_id: str | None = SMTP_CONN_ID) -> SmtpTarget | None:
    """Alert e-mail: the Connection `carbonwatch_smtp` (extra: from, to, starttls, ssl), else
    CARBONWATCH_SMTP_*; None when neither names a host."""
    conn = airflow_connection(conn_id) if conn_id else None
    if conn is not None and conn.host:
        extra = conn.extra_dejson or {}
        to = extra.get("to") or ""
        return SmtpTarget(conn.host, conn.port or 25, conn.login or None, conn.password or None,
                          extra.get("from") or "carbonwatch@localhost",
                          [t.strip() for t in (to if isinstance(to, list) else to.split(",")) if t.strip()],
                          _truthy(extra.get("starttls", False)), _truthy(extra.get("ssl", False)),
                          float(extra.get("timeout", 30)))
    host = env("SMTP_HOST")
    if not host:
        return None
    return SmtpTarget(host, int(env("SMTP_PORT") or 25), env("SMTP_USER"), env("SMTP_PASSWORD"),
                      env("SMTP_FROM") or "carbonwatch@localhost",
                      [t.strip() for t in (env("SMTP_TO") or "").split(",") if t.strip()],
                      _truthy(env("SMTP_STARTTLS", "")), _truthy(env("SMTP_SSL", "")))


# ----------------------------------------------------------------------------- stage settings

DEFAULT_REVIEW_CONFIDENCE = 0.65


def review_confidence(given: float | str | None = None) -> float:
    """The confidence (0..1) a fact needs to change a target and raise an alert; a fact below
    it goes to the review list (`carbonwatch review`) instead. Given (the run's conf) >
    CARBONWATCH_REVIEW_CONFIDENCE > 0.65: with the extractor's scale (extractors/facts.py) a
    hedged statement (x0.6) or a share told for part of the company (0.5) waits; a scope that is
    part of the company (0.7) or a stretched quote (0.85) alone does not."""
    value = float(given if given not in (None, "") else env("REVIEW_CONFIDENCE", str(DEFAULT_REVIEW_CONFIDENCE)))
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"review confidence must be between 0 and 1, got {value}")
    return value


def crawl_budget(document_deadline=None, company_budget=None) -> dict:
    """{"document_deadline", "company_budget"} in seconds: given > environment > defaults
    (120 s per document, 600 s per company). The company budget is capped at
    COMPANY_BUDGET_SHARE of FETCH_TASK_TIMEOUT and a document never gets more than its
    company: both always end well inside the fetch task's timeout."""
    company = float(company_budget or env("COMPANY_BUDGET", "600"))
    document = float(document_deadline or env("DOCUMENT_DEADLINE", "120"))
    if company <= 0 or document <= 0:
        raise ValueError(f"crawl budgets must be positive (company {company:g} s, document {document:g} s)")
    company = min(company, COMPANY_BUDGET_SHARE * FETCH_TASK_TIMEOUT)
    return {"document_deadline": min(document, company), "company_budget": company}


def max_sources() -> int:
    """Rows a sources file may have (CARBONWATCH_MAX_SOURCES, default 100,000: the nightly maps
    shards of companies, so Airflow's 1,024-item map limit no longer bounds it)."""
    return int(env("MAX_SOURCES", "100000"))


def lock_wait() -> float:
    """Seconds a second writer waits for the warehouse lock before giving up (default 0)."""
    return float(env("LOCK_WAIT", "0"))


def contact() -> str:
    """Who runs this crawler, put in its User-Agent."""
    return (env("CONTACT") or "").strip()


@dataclass(frozen=True)
class DocumentLimits:
    """Caps on one PDF's extraction (extractors/document.py)."""

    timeout: float
    max_rss_mb: int
    max_pages: int
    start_method: str

    @classmethod
    def from_env(cls) -> "DocumentLimits":
        return cls(float(env("DOC_TIMEOUT", "300")), int(env("DOC_MAX_RSS_MB", "1024")),
                   int(env("DOC_MAX_PAGES", "3000")), env("DOC_START_METHOD", "fork"))


@dataclass(frozen=True)
class FeedEndpoints:
    """Base URLs of the disclosure systems the feed adapters ask (extractors/feeds/); tests
    point them at 127.0.0.1. The stock codes and CIKs are the user's (the sources file)."""

    cninfo: str  # POST <cninfo>/new/hisAnnouncement/query
    cninfo_static: str  # PDFs at <cninfo_static>/<adjunctUrl>
    hkex: str  # <hkex>/search/titleSearchServlet.do; FILE_LINK is relative to it
    edgar: str  # <edgar>/submissions/CIK##########.json
    edgar_archives: str  # <edgar_archives>/<cik>/<accession>/<primaryDocument>

    @classmethod
    def from_env(cls) -> "FeedEndpoints":
        return cls(
            cninfo=(env("CNINFO_URL") or "http://www.cninfo.com.cn").rstrip("/"),
            cninfo_static=(env("CNINFO_STATIC_URL") or "http://static.cninfo.com.cn").rstrip("/"),
            hkex=(env("HKEX_URL") or "https://www1.hkexnews.hk").rstrip("/"),
            edgar=(env("EDGAR_URL") or "https://data.sec.gov").rstrip("/"),
            edgar_archives=(env("EDGAR_ARCHIVES_URL") or "https://www.sec.gov/Archives/edgar/data").rstrip("/"),
        )


def feed_endpoints() -> FeedEndpoints:
    return FeedEndpoints.from_env()


def watch_interval() -> float:
    """Seconds between two polls of the feeds (`carbonwatch watch`, the Airflow trigger)."""
    return float(env("WATCH_INTERVAL", "60"))


def retry_after() -> float:
    """Seconds before a failed disclosure is tried again, doubled after each attempt (the
    embedded watcher, and under Airflow the trigger and the run that claims it)."""
    return float(env("RETRY_AFTER", str(DEFAULT_RETRY_AFTER)))
