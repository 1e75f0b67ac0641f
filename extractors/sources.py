"""The source registry the user edits: a CSV with one company per row.

Required columns: name; case_no or company_id (or both); landing_url or feeds (a row needs at
least one of them).
- case_no: the company's case in a seed report (the 100-case report's 1..100);
- company_id: the user's own id for a company that is no seed case (required when case_no is
  empty): it becomes a company of the warehouse under a new integer key (warehouse/companies.py).
Optional: exchange and stock_code (of a company_id row), allowed_domains (host names separated
by ';', default: the landing page's host), seed_urls (extra start URLs separated by ';'), feeds
(disclosure feeds separated by ';': rss:URL, sitemap:URL, cninfo:CODE, hkex:CODE, edgar:CIK —
extractors/feeds), notes. The nightly crawls the landing pages; `carbonwatch watch` polls the feeds.
"""
from __future__ import annotations

import csv
import ipaddress
import re
from pathlib import Path
from urllib.parse import urlsplit

REQUIRED = ("name", "landing_url")  # landing_url may be empty on a row with feeds
COMPANY_KEYS = ("case_no", "company_id")  # a row names its company by one of these (or both)
OPTIONAL = ("exchange", "stock_code", "allowed_domains", "seed_urls", "feeds", "notes")
_COMPANY_ID_RE = re.compile(r"^[^\s;,]{1,100}$")

_HOST_RE = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


def _split(value: str | None) -> list[str]:
    return [p.strip() for p in (value or "").split(";") if p.strip()]


def check_url(url: str) -> str | None:
    """None if `url` is an absolute http(s) URL with a host, else what is wrong with it."""
    try:
        parts = urlsplit(url)
        parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    if not parts.hostname:
        return "has no host"
    if "@" in parts.netloc:
        return "carries credentials (user:password@), which carbonwatch never sends or stores"
    return None


def _shown(url: str) -> str:
    """A URL fit for an error message: its credentials, if any, replaced by ***."""
    head, sep, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    if sep and "@" in netloc:
        return f"{head}://***@{netloc.rsplit('@', 1)[1]}{slash}{path}"
    return url


def normalise_host(host: str) -> str | None:
    """Lower-cased host name or IP literal, or None if it is not one (e.g. a URL)."""
    h = host.strip().lower().rstrip(".")
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    try:
        return str(ipaddress.ip_address(h))
    except ValueError:
        pass
    try:
        h = h.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return h if _HOST_RE.match(h) else None


def normalise_source(row: dict, where: str = "source") -> dict:
    """Validate one source (a CSV row or a dict from the DAG) into
    {case_no:int|None, company_id:str|None, name, landing_url (None: feeds only), exchange,
    stock_code, allowed_domains:[hosts], seed_urls:[urls], feeds:["kind:arg"], notes}.
    Raises ValueError naming `where` and the column."""
    out: dict = {}
    feeds = row.get("feeds")
    try:
        feeds = parse_feeds(feeds if isinstance(feeds, str) or feeds is None else ";".join(feeds))
    except ValueError as exc:
        raise ValueError(f"{where}: column 'feeds' {exc}") from None
    for col in REQUIRED:
        v = row.get(col)
        if (v is None or str(v).strip() == "") and not (col == "landing_url" and feeds):
            raise ValueError(f"{where}: column {col!r} is empty" + (" (and no feeds)" if col == "landing_url" else ""))
    case_no = str(row.get("case_no") if row.get("case_no") is not None else "").strip()
    company_id = str(row.get("company_id") or "").strip()
    if not case_no and not company_id:
        raise ValueError(f"{where}: column 'case_no' is empty and so is 'company_id' "
                         "(a company that is no case of a seed report needs your company_id)")
    try:
        out["case_no"] = int(case_no) if case_no else None
    except ValueError:
        raise ValueError(f"{where}: column 'case_no' must be an integer, got {row['case_no']!r}") from None
    if company_id and not _COMPANY_ID_RE.match(company_id):
        raise ValueError(f"{where}: column 'company_id' must be 1-100 characters without spaces, ';' or ',', "
                         f"got {company_id!r}")
    out["company_id"] = company_id or None
    for col in ("exchange", "stock_code"):
        out[col] = str(row.get(col) or "").strip() or None
    out["name"] = str(row["name"]).strip()
    landing = str(row.get("landing_url") or "").strip() or None
    bad = check_url(landing) if landing else None
    if bad:
        raise ValueError(f"{where}: column 'landing_url' {bad}: {_shown(landing)!r}")
    out["landing_url"] = landing

    domains = row.get("allowed_domains")
    domains = _split(domains) if isinstance(domains, str) or domains is None else [str(d) for d in domains]
    hosts = []
    for d in domains:
        h = normalise_host(d)
        if h is None:
            raise ValueError(f"{where}: column 'allowed_domains' expects host names separated by ';', got {d!r}")
        hosts.append(h)
    landing_host = normalise_host(urlsplit(landing).hostname or "") if landing else None
    out["allowed_domains"] = hosts or ([landing_host] if landing_host else [])

    seeds = row.get("seed_urls")
    seeds = _split(seeds) if isinstance(seeds, str) or seeds is None else [str(s) for s in seeds]
    for s in seeds:
        bad = check_url(s)
        if bad:
            raise ValueError(f"{where}: column 'seed_urls' {bad}: {_shown(s)!r}")
    out["seed_urls"] = seeds
    out["feeds"] = [f.feed_id for f in feeds]
    out["notes"] = str(row.get("notes") or "").strip()
    return out


def parse_feeds(value: str | None) -> list[Feed]:
    """`kind:arg` entries separated by ';'. Raises ValueError on an unknown kind or a bad argument."""
    from extractors.feeds import ARG_RULES, KINDS, Feed

    feeds = []
    for part in (p.strip() for p in (value or "").split(";")):
        if not part:
            continue
        kind, sep, arg = part.partition(":")
        kind, arg = kind.strip().lower(), arg.strip()
        if not sep or kind not in KINDS:
            raise ValueError(f"feed {part!r}: expected KIND:VALUE with KIND one of {', '.join(KINDS)}")
        if kind in ARG_RULES:
            pattern, what = ARG_RULES[kind]
            if not pattern.match(arg):
                raise ValueError(f"feed {part!r}: {kind} needs {what}")
        else:
            bad = check_url(arg)
            if bad:
                raise ValueError(f"feed {part!r}: the URL {bad}")
        feeds.append(Feed(kind, arg))
    return feeds


MAX_SOURCES = 100_000  # default row limit (common.settings.max_sources)


def read_sources(path, max_rows: int | None = None) -> list[dict]:
    """Read and validate the sources CSV (UTF-8, a BOM is fine). Raises ValueError naming the
    line and column of the first problem: a file that is empty, has no rows, misses a column,
    is not UTF-8 or has more than `max_rows` rows. A company may repeat (several sites), a
    (company, landing_url) pair may not."""
    path = Path(path)
    max_rows = max_rows or MAX_SOURCES
    try:
        return _read(path, max_rows)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                         "save it as UTF-8") from None
    except csv.Error as exc:
        raise ValueError(f"{path}: not a readable CSV ({exc})") from None


def _read(path: Path, max_rows: int) -> list[dict]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            raise ValueError(f"{path}: empty file, expected a header with {', '.join(REQUIRED)}") from None
        cols = [h.strip().lower() for h in header]
        missing = [c for c in REQUIRED if c not in cols and not (c == "landing_url" and "feeds" in cols)]
        if not any(c in cols for c in COMPANY_KEYS):
            missing.append(" or ".join(COMPANY_KEYS))
        if missing:
            or_feeds = " (or feeds)" if "landing_url" in missing else ""
            raise ValueError(f"{path}: missing required column(s) {', '.join(missing)}{or_feeds} (header: {header})")
        dup = {c for c in cols if c and cols.count(c) > 1}
        if dup:
            raise ValueError(f"{path}: duplicate column(s) {', '.join(sorted(dup))}")
        sources: list[dict] = []
        seen: dict[tuple, int] = {}
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(sources) >= max_rows:
                raise ValueError(f"{path}: more than {max_rows} sources (set CARBONWATCH_MAX_SOURCES to allow more)")
            if len(row) > len(cols):
                raise ValueError(f"{path}: line {line}: {len(row)} fields, header has {len(cols)}")
            rec = dict(zip(cols, row))
            src = normalise_source(rec, where=f"{path}: line {line}")
            # a company may have several sites (or feeds)
            key = (src["case_no"], src["company_id"], src["landing_url"] or tuple(src["feeds"]))
            if key in seen:
                cols_ = "'landing_url'" if src["landing_url"] else "'feeds'"
                raise ValueError(f"{path}: line {line}: columns 'case_no','company_id',{cols_} repeat line {seen[key]}")
            seen[key] = line
            sources.append(src)
    if not sources:
        raise ValueError(f"{path}: no sources, only a header (one row per company: {', '.join(REQUIRED)})")
    return sources
