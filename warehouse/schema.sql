-- carbonwatch warehouse schema (DuckDB). Applied idempotently by warehouse.db.connect().
-- Every table is documented column by column in docs/warehouse.md.

CREATE TABLE IF NOT EXISTS runs (
    run_id              VARCHAR PRIMARY KEY,   -- Airflow run id (or bootstrap-<time>)
    started_at          TIMESTAMP NOT NULL,
    finished_at         TIMESTAMP,
    status              VARCHAR NOT NULL,      -- running | success | failed | stopped
    sources_file        VARCHAR,
    companies           INTEGER,               -- sources processed
    documents_new       INTEGER,
    documents_unchanged INTEGER,
    documents_failed    INTEGER,
    facts_added         INTEGER,
    facts_quarantined   INTEGER,
    history_rows        INTEGER,
    alerts              INTEGER,
    error               VARCHAR                -- why a run failed or was stopped
);

CREATE TABLE IF NOT EXISTS companies (
    case_no      INTEGER PRIMARY KEY,          -- company key: 1-100 = k-th 公司简介 of the 100-case report;
                                               -- 101.. companies first seen in a later seed report or
                                               -- in the user's sources (company_id)
    name         VARCHAR NOT NULL,
    sector       VARCHAR,                      -- the 100-case report's classification (NULL otherwise)
    industry     VARCHAR,
    report_pages INTEGER[],                    -- pages of the case in its report (NULL: a sources-only company)
    landing_url  VARCHAR,                      -- from the sources file, when one was given
    baseline_run_id VARCHAR,                   -- run whose targets became the baseline (raised no alerts)
    loaded_at    TIMESTAMP NOT NULL,
    report_no    INTEGER,                      -- seed report that first listed the company (NULL: none, or a warehouse older than schema 3)
    name_variants VARCHAR[],                   -- comparable forms of its names (transforms.names)
    company_id   VARCHAR UNIQUE,               -- the user's id (sources column company_id); NULL for seed cases
    exchange     VARCHAR,                      -- from the sources file (optional)
    stock_code   VARCHAR
);
-- The document the company's targets were last diffed against: the same document again
-- cannot change its history, so detect_changes skips it (warehouses made before it get it here).
ALTER TABLE companies ADD COLUMN IF NOT EXISTS diffed_document_id VARCHAR;
-- The company's baseline report: a re-diff of it (after a review decision) raises no alert either.
ALTER TABLE companies ADD COLUMN IF NOT EXISTS baseline_document_id VARCHAR;

-- The seed reports a warehouse was bootstrapped from, each also a row of documents.
CREATE TABLE IF NOT EXISTS reports (
    report_no   INTEGER PRIMARY KEY,           -- 1: the 100-case report (the v_report_tables view reproduces its tables); 2..: later seed reports
    title       VARCHAR NOT NULL,              -- the PDF's title
    publisher   VARCHAR,                       -- the organisation the report names itself by (signature or running footer)
    year        INTEGER,                       -- the report's year
    sha256      VARCHAR NOT NULL UNIQUE,       -- of the file; = documents.document_id
    file_path   VARCHAR,
    pages       INTEGER,
    cases       INTEGER NOT NULL,
    run_id      VARCHAR NOT NULL,              -- the bootstrap run that loaded it
    loaded_at   TIMESTAMP NOT NULL
);

-- Every case of every seed report and the company it is about: one company, several cases.
CREATE TABLE IF NOT EXISTS report_cases (
    report_no      INTEGER NOT NULL,
    report_case_no INTEGER NOT NULL,           -- k-th case of that report
    case_no        INTEGER NOT NULL,           -- the company (companies.case_no)
    name           VARCHAR NOT NULL,           -- the company's name in that report
    title          VARCHAR,                    -- the case's title, for reports whose cases have one
    pages          INTEGER[] NOT NULL,
    facts          INTEGER NOT NULL,
    matched_on     VARCHAR,                    -- the name form shared with a company of an earlier report
    PRIMARY KEY (report_no, report_case_no)
);

CREATE TABLE IF NOT EXISTS documents (
    document_id   VARCHAR PRIMARY KEY,         -- sha256 of the bytes; 'url:<sha256 of url>' when never fetched
    case_no       INTEGER,                     -- NULL for the 100-case report itself (covers every company)
    url           VARCHAR NOT NULL,
    final_url     VARCHAR,
    title         VARCHAR,
    report_year   INTEGER,
    file_path     VARCHAR,                     -- content-addressed raw file
    bytes         BIGINT,
    etag          VARCHAR,
    last_modified VARCHAR,
    fetch_status  VARCHAR NOT NULL,            -- fetched | failed
    parse_status  VARCHAR NOT NULL,            -- parsed | failed | skipped
    error         VARCHAR,                     -- why fetch or parse failed
    pages         INTEGER,
    facts         INTEGER,
    first_run_id  VARCHAR NOT NULL,
    last_run_id   VARCHAR NOT NULL,
    fetched_at    TIMESTAMP,
    parsed_at     TIMESTAMP
);

-- Every URL a document was seen at, with its HTTP validators: the same bytes may be served at
-- several URLs (a report moved, a mirror), and each URL gets its own conditional GET.
CREATE TABLE IF NOT EXISTS document_urls (
    url           VARCHAR PRIMARY KEY,
    document_id   VARCHAR NOT NULL,            -- sha256 of the bytes last seen at this URL
    case_no       INTEGER,
    etag          VARCHAR,
    last_modified VARCHAR,
    first_run_id  VARCHAR NOT NULL,
    last_run_id   VARCHAR NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS fetch_log (
    run_id     VARCHAR NOT NULL,
    case_no    INTEGER,
    url        VARCHAR,
    http_status INTEGER,
    reason     VARCHAR,
    logged_at  TIMESTAMP
);

CREATE TABLE IF NOT EXISTS facts (
    fact_id     VARCHAR PRIMARY KEY,           -- hash of document + the fact's identity (common.schema.FACT_IDENTITY)
    document_id VARCHAR NOT NULL,
    case_no     INTEGER NOT NULL,
    metric      VARCHAR NOT NULL,
    year        INTEGER,
    value       DOUBLE,                        -- percent; NULL for re100/sbti (presence is the fact)
    base_year   INTEGER,
    scope       VARCHAR,
    status      VARCHAR NOT NULL,              -- target | achieved
    page        INTEGER NOT NULL,
    evidence    VARCHAR NOT NULL,
    run_id      VARCHAR NOT NULL
);

-- A range's upper bound, the extractor's confidence (0..1) and the rule that produced the fact.
ALTER TABLE facts ADD COLUMN IF NOT EXISTS value_high DOUBLE;
ALTER TABLE facts ADD COLUMN IF NOT EXISTS confidence DOUBLE;
ALTER TABLE facts ADD COLUMN IF NOT EXISTS rule VARCHAR;

CREATE TABLE IF NOT EXISTS quarantined_facts (
    run_id      VARCHAR NOT NULL,
    document_id VARCHAR,
    case_no     INTEGER,
    fact        JSON NOT NULL,
    failed_expectations VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS validation_results (
    run_id        VARCHAR NOT NULL,
    suite         VARCHAR NOT NULL,
    expectation   VARCHAR NOT NULL,
    kwargs        JSON,
    success       BOOLEAN NOT NULL,
    unexpected    INTEGER,
    evaluated_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS target_history (
    history_id  VARCHAR PRIMARY KEY,
    case_no     INTEGER NOT NULL,
    metric      VARCHAR NOT NULL,
    target_key  VARCHAR NOT NULL,              -- metric|scope: one tracked target of a company
    value       VARCHAR NOT NULL,              -- canonical text, e.g. '2050', '100% by 2030', '30% by 2030 vs 2019'
    year        INTEGER,
    number      DOUBLE,
    document_id VARCHAR NOT NULL,
    page        INTEGER,
    evidence    VARCHAR,
    valid_from  TIMESTAMP NOT NULL,            -- when this value became current (load time)
    valid_to    TIMESTAMP,                     -- when a newer report changed or dropped it; NULL while current
    is_current  BOOLEAN NOT NULL,
    run_id      VARCHAR NOT NULL,              -- run that opened the row
    status      VARCHAR,                       -- target | achieved (of the representative fact)
    base_year   INTEGER,
    scope       VARCHAR,                       -- scope group: company | operations | value_chain | other text
    report_year INTEGER,                       -- report year of document_id
    closed_by_document_id VARCHAR,             -- the newer report that changed or dropped the value
    closed_run_id VARCHAR
);
-- columns added after the first release (no-ops on a new file)
ALTER TABLE target_history ADD COLUMN IF NOT EXISTS status VARCHAR;
ALTER TABLE target_history ADD COLUMN IF NOT EXISTS base_year INTEGER;
ALTER TABLE target_history ADD COLUMN IF NOT EXISTS scope VARCHAR;
ALTER TABLE target_history ADD COLUMN IF NOT EXISTS report_year INTEGER;
ALTER TABLE target_history ADD COLUMN IF NOT EXISTS closed_by_document_id VARCHAR;
ALTER TABLE target_history ADD COLUMN IF NOT EXISTS closed_run_id VARCHAR;
-- how sure the value is (its least confident fact; an accepted fact counts 1.0) and whether an
-- analyst accepted a fact behind it: an accepted value yields only to evidence as confident
ALTER TABLE target_history ADD COLUMN IF NOT EXISTS confidence DOUBLE;
ALTER TABLE target_history ADD COLUMN IF NOT EXISTS reviewed BOOLEAN;

CREATE TABLE IF NOT EXISTS alerts (
    alert_id        VARCHAR PRIMARY KEY,       -- hash of company, target, old, new: one change alerts once
    run_id          VARCHAR NOT NULL,
    case_no         INTEGER NOT NULL,
    company         VARCHAR,
    metric          VARCHAR NOT NULL,
    target_key      VARCHAR NOT NULL,
    change          VARCHAR NOT NULL,          -- changed | added | withdrawn
    old_value       VARCHAR,
    new_value       VARCHAR,
    old_document_id VARCHAR,
    old_page        INTEGER,
    old_evidence    VARCHAR,
    new_document_id VARCHAR,
    new_page        INTEGER,
    new_evidence    VARCHAR,
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP,
    delivery        VARCHAR                    -- where it was delivered, or the delivery error
);

CREATE TABLE IF NOT EXISTS alert_deliveries (
    alert_id     VARCHAR NOT NULL,             -- alerts.alert_id
    channel      VARCHAR NOT NULL,             -- outbox | webhook | smtp
    delivered_at TIMESTAMP NOT NULL,
    detail       VARCHAR,                      -- e.g. the outbox file or the receiving host (never a secret)
    PRIMARY KEY (alert_id, channel)            -- one change reaches one channel once
);

-- What each source (a seed report or a company's own report) says of each company's
-- targets, one row per target key: the same target told differently by two sources is a
-- source conflict (v_source_conflicts), not a change. Filled from facts by every history update.
CREATE TABLE IF NOT EXISTS source_targets (
    case_no     INTEGER NOT NULL,
    document_id VARCHAR NOT NULL,
    target_key  VARCHAR NOT NULL,
    metric      VARCHAR NOT NULL,
    value       VARCHAR NOT NULL,              -- canonical text, as in target_history
    year        INTEGER,
    number      DOUBLE,
    status      VARCHAR,
    base_year   INTEGER,
    scope       VARCHAR,
    page        INTEGER,
    evidence    VARCHAR,
    PRIMARY KEY (case_no, document_id, target_key)
);

-- Streaming (carbonwatch watch, DAG carbonwatch_disclosures): every disclosure a feed announced,
-- once. The same announcement polled again (same source_id) is the same row; the same document
-- announced by two feeds (same url) is recorded as a duplicate of the first.
CREATE TABLE IF NOT EXISTS disclosures (
    source_id     VARCHAR PRIMARY KEY,         -- kind:announcement id, e.g. cninfo:1219..., rss:<guid>
    feed          VARCHAR NOT NULL,            -- the feed it came from, e.g. cninfo:<code>, rss:<url>
    case_no       INTEGER NOT NULL,
    company       VARCHAR,
    url           VARCHAR NOT NULL,            -- the announced document
    title         VARCHAR,
    published_at  TIMESTAMP NOT NULL,          -- UTC, as the feed says
    first_seen_at TIMESTAMP NOT NULL,          -- UTC, when a poll first saw it
    status        VARCHAR NOT NULL,            -- pending | done | failed | gave_up | duplicate
    attempts      INTEGER NOT NULL,            -- times it went through the stages
    run_id        VARCHAR,                     -- the run that last processed it
    document_id   VARCHAR,                     -- documents.document_id of its bytes
    duplicate_of  VARCHAR,                     -- source_id of the first disclosure of the same url
    facts         INTEGER,                     -- facts extracted from it
    alerts        INTEGER,                     -- alerts its document raised
    error         VARCHAR,                     -- why it failed (fetch or parse)
    processed_at  TIMESTAMP,                   -- UTC, alerts delivered and facts loaded
    latency_s     DOUBLE,                      -- processed_at - published_at
    claimed_by    VARCHAR,                     -- who is processing it: the watcher, or an Airflow run id
    claimed_at    TIMESTAMP                    -- a claim older than the lease (10 min) may be taken over
);

-- One row per feed: how far it is processed, and how its polls went. Every disclosure published
-- at or before cursor_published_at is processed (done, duplicate or given up): a restart polls
-- from there and neither loses nor repeats one.
CREATE TABLE IF NOT EXISTS feed_cursors (
    feed                VARCHAR PRIMARY KEY,
    case_no             INTEGER,
    cursor_published_at TIMESTAMP,
    cursor_source_id    VARCHAR,
    polls               BIGINT NOT NULL,
    errors              BIGINT NOT NULL,       -- polls that failed (HTTP error, HTML, garbage JSON, ...)
    last_polled_at      TIMESTAMP,
    last_ok_at          TIMESTAMP,
    last_error          VARCHAR
);

-- The review list: facts below the review confidence (and facts that would overwrite an accepted
-- value) change no target and raise no alert; each waits here for an analyst's decision.
-- One row per company + target + value, so a decision holds for that value in every later report.
CREATE TABLE IF NOT EXISTS review_items (
    review_id     VARCHAR PRIMARY KEY,         -- hash of case_no, target_key, value (16 hex)
    case_no       INTEGER NOT NULL,
    company       VARCHAR,
    metric        VARCHAR NOT NULL,
    target_key    VARCHAR NOT NULL,
    value         VARCHAR NOT NULL,            -- canonical value of the fact, as in target_history
    status        VARCHAR NOT NULL,            -- pending | accepted | rejected | superseded (no longer in the current report)
    reason        VARCHAR NOT NULL,            -- why it waits, e.g. 'confidence 0.40 < 0.6'
    confidence    DOUBLE,
    rule          VARCHAR,
    fact_id       VARCHAR,                     -- the latest fact with this value (facts.fact_id)
    document_id   VARCHAR,
    page          INTEGER,
    evidence      VARCHAR,
    change        VARCHAR,                     -- what accepting it would do to the target: changed | added | NULL (nothing)
    old_value     VARCHAR,
    new_value     VARCHAR,
    would_alert   BOOLEAN NOT NULL,            -- accepting it would raise that alert (not for a baseline or progress)
    first_run_id  VARCHAR NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    last_run_id   VARCHAR NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    decided_at    TIMESTAMP,
    reviewer      VARCHAR,
    note          VARCHAR
);

-- Every accept / reject, in order (an item can be decided again; the last decision holds).
CREATE TABLE IF NOT EXISTS review_decisions (
    review_id   VARCHAR NOT NULL,              -- review_items.review_id
    decision    VARCHAR NOT NULL,              -- accepted | rejected
    reviewer    VARCHAR,
    note        VARCHAR,
    decided_at  TIMESTAMP NOT NULL,
    run_id      VARCHAR NOT NULL,              -- review-<time>: history rows and alerts the decision made carry it
    history_rows INTEGER,
    alerts      INTEGER
);
