"""Editions of a REAL report through the nightly task bodies: one target changed among dozens of
moved percentages raises exactly that one alert.

The text of every page of a real sustainability report (HSBC's ESG Review 2023, in
../shared/realpdfs) is written back as a PDF with reportlab, one page per page, and served on
127.0.0.1. Later "editions" (test fixtures, not HSBC's disclosures) move every percentage that
is neither in a sentence stating a target nor one of the report's labelled values (its targets
and its green-power share: ../shared/realpdfs/labels.dev.jsonl) — the year-on-year churn of a
real report's data — and one of them also changes one target. Each edition goes through
discover → fetch → extract → validate → load → detect_changes → alert in-process into a real
DuckDB file.
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from carbonwatch.orchestration.inprocess import run_in_process
from common.settings import shared_dir
from crawl_server import CrawlServer, html, pdf
from extractors.pdftext import pdfium_texts
from warehouse.db import connect, rows
from warehouse_fixtures import bootstrap_sample

REAL = shared_dir() / "realpdfs"
REPORT = "hsbc_2023.pdf"
CASE = 1  # the hand-made warehouse's case the report is filed under
# The one target that changes: the on-balance-sheet reduction target stated on page 20.
TARGET_PAGE, TARGET_OLD, TARGET_NEW = 20, "reduction target of 70% for 2030", "reduction target of 75% for 2030"
# Costco's Climate Action Plan: its Scope 3 target is an estimate ("We estimate that our plan will
# lead to a 20% reduction ..."), which the extractor reads with low confidence.
HEDGED_REPORT, HEDGED_PAGE = "costco_2023.pdf", 9
HEDGED_OLD, HEDGED_NEW = "lead to a 20% reduction", "lead to a 25% reduction"

PERCENT = re.compile(r"(?<![\d.,])(\d{1,3}(?:\.\d+)?)(\s?%)")
# A sentence that states a goal: a target word, or a year after the report's ("by 2030").
TARGET_SENTENCE = re.compile(r"target|goal|ambition|aim\b|aims\b|commit|pledge|objective|"
                             r"\b(?:by|for|until|before|in)\s+20(?:2[4-9]|[3-9]\d)\b", re.I)
SENTENCE = re.compile(r".+?(?:[.;!?]+(?=\s|$)|$)", re.S)  # "58.4%" is no sentence end
FONT, SIZE, LEADING = "Helvetica", 7, 8.5


def labelled_evidence(report: str = REPORT) -> list[str]:
    """The quotes of the report's labelled values (every metric), whitespace-normalised."""
    for line in (REAL / "labels.dev.jsonl").read_text(encoding="utf-8").splitlines():
        label = json.loads(line)
        if label["file"] == report:
            found = []
            for value in label.values():
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, dict) and item.get("evidence"):
                        found.append(" ".join(item["evidence"].split()))
            return found
    raise AssertionError(f"{report} has no labels")


def _protected(sentence: str, labelled: list[str]) -> bool:
    flat = " ".join(sentence.split())
    return bool(TARGET_SENTENCE.search(flat)) or any(q in flat or flat.strip() in q for q in labelled if len(q) > 20)


def move_percentages(text: str, labelled: list[str], shift: float) -> tuple[str, int]:
    """Every percentage outside target sentences and labelled quotes moved by `shift` points
    (down when that would pass 100); returns the text and how many moved."""
    moved = 0

    def move(m: re.Match) -> str:
        nonlocal moved
        value = float(m.group(1))
        new = value + shift if value + shift <= 100 else value - shift
        moved += 1
        return (f"{new:.1f}" if "." in m.group(1) else f"{new:.0f}") + m.group(2)

    out = []
    for s in SENTENCE.finditer(text):
        sentence = s.group(0)
        out.append(sentence if _protected(sentence, labelled) else PERCENT.sub(move, sentence))
    return "".join(out), moved


def write_pdf(pages: list[str], path) -> None:
    """One PDF page per page of text, every line as it was, in a font reportlab always has."""
    c = canvas.Canvas(str(path), pagesize=A4)
    for text in pages:
        lines = [ln.encode("cp1252", "replace").decode("cp1252") for ln in text.replace("\ufffe", "-").split("\n")]
        width = max([A4[0]] + [stringWidth(ln, FONT, SIZE) + 72 for ln in lines])
        height = max(A4[1], LEADING * len(lines) + 72)
        c.setPageSize((width, height))
        c.setFont(FONT, SIZE)
        for i, line in enumerate(lines):
            c.drawString(36, height - 36 - LEADING * (i + 1), line)
        c.showPage()
    c.save()


def edition(pages: list[str], labelled: list[str], shift: float,
            change: tuple[int, str, str] | None = None) -> tuple[list[str], int]:
    """The pages with other percentages moved by `shift` and, if given, (page, old, new) replaced."""
    out, moved = [], 0
    for number, text in enumerate(pages, 1):
        text, n = move_percentages(text, labelled, shift) if shift else (text, 0)
        moved += n
        if change and number == change[0]:  # the words may wrap across lines
            pattern = r"\s+".join(map(re.escape, change[1].split()))
            text, found = re.subn(pattern, change[2], text)
            assert found == 1, "the target sentence is no longer on its page"
        out.append(text)
    return out, moved


def real_pages(report: str) -> list[str]:
    source = REAL / report
    if not source.exists():
        pytest.fail(f"the real report is missing: {source} (set CARBONWATCH_SHARED)")
    return pdfium_texts(str(source))


def run_nights(tmp, editions: dict[int, tuple[list[str], int]]) -> tuple[Path, dict]:
    """Each edition (report year -> pages) served in turn and run through the nightly task
    bodies into one warehouse (a hand-made one with six companies); returns it and the counts."""
    for year, (texts, _) in editions.items():
        write_pdf(texts, tmp / f"esg-review-{year}.pdf")
    warehouse = tmp / "wh.duckdb"
    con = connect(warehouse)
    try:
        bootstrap_sample(con, tmp)
    finally:
        con.close()
    counts = {}
    with CrawlServer() as srv:
        with (tmp / "sources.csv").open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([["case_no", "name", "landing_url", "allowed_domains"],
                                      [CASE, "real report editions", srv.url("/index.html"), "127.0.0.1"]])
        conf = {"sources": str(tmp / "sources.csv"), "warehouse": str(warehouse), "raw_dir": str(tmp / "raw"),
                "outbox": str(tmp / "alerts")}
        for year in editions:
            srv.route("/index.html", html(f'<a href="/reports/esg-review-{year}.pdf">ESG Review {year}</a>'))
            srv.route(f"/reports/esg-review-{year}.pdf", pdf((tmp / f"esg-review-{year}.pdf").read_bytes()))
            counts[year] = run_in_process(conf, f"night-{year}")
    return warehouse, counts


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """Night 1: the real text (the company's baseline). Night 2 (2024 edition): dozens of
    percentages moved, no target changed. Night 3 (2025 edition): percentages moved again and
    one target changed."""
    pages, labelled = real_pages(REPORT), labelled_evidence()
    editions = {2023: (pages, 0), 2024: edition(pages, labelled, 3.0),
                2025: edition(pages, labelled, 6.0, (TARGET_PAGE, TARGET_OLD, TARGET_NEW))}
    warehouse, counts = run_nights(tmp_path_factory.mktemp("real-editions"), editions)
    con = duckdb.connect(str(warehouse), read_only=True)
    yield {"con": con, "counts": counts, "moved": {y: m for y, (_, m) in editions.items()}}
    con.close()


def facts_of(con, year: int) -> set[tuple]:
    return set(con.execute(
        "SELECT f.metric, f.year, f.value, f.base_year, f.scope, f.status FROM facts f JOIN documents d "
        "USING (document_id) WHERE d.report_year = ? AND d.case_no = ?", [year, CASE]).fetchall())


def test_editions_are_real_and_move_dozens_of_percentages(nights):
    con, moved = nights["con"], nights["moved"]
    assert moved[2024] >= 24 and moved[2025] >= 24, moved
    assert [r[0] for r in con.execute("SELECT report_year FROM documents WHERE case_no = ? AND "
                                      "parse_status = 'parsed' ORDER BY report_year", [CASE]).fetchall()] == \
        [2023, 2024, 2025]
    assert len(facts_of(con, 2023)) >= 5  # the extractor reads the real report's targets


def test_moved_percentages_alone_raise_no_alert(nights):
    assert nights["counts"][2023]["alerts"] == 0  # the baseline
    assert nights["counts"][2024]["alerts"] == 0


def test_one_changed_target_raises_exactly_one_alert(nights):
    con = nights["con"]
    assert nights["counts"][2025]["alerts"] == 1
    (alert,) = con.execute("SELECT metric, change, old_value, new_value, new_page, run_id FROM alerts").fetchall()
    metric, change, old, new, page, run_id = alert
    assert (metric, change, page, run_id) == ("interim_target", "changed", TARGET_PAGE, "night-2025")
    assert "-70% by 2030 vs 2020" in old and "-75% by 2030 vs 2020" in new
    assert old.replace("-70%", "-75%") == new  # the rest of the target's value is untouched
    # the alert task delivered it, and only it
    assert con.execute("SELECT count(*), count(delivered_at) FROM alerts").fetchone() == (1, 1)


def test_no_target_moved_except_the_changed_one(nights):
    """The extractor read the same targets from every edition: the moved percentages made no
    trusted target fact, and the changed target is the only target fact that differs."""
    con = nights["con"]
    targets = {y: {f for f in facts_of(con, y) if f[-1] == "target"} for y in (2023, 2024, 2025)}
    assert targets[2024] == targets[2023]
    assert {f[:3] for f in targets[2025] ^ targets[2023]} == {("interim_target", 2030, 70.0),
                                                             ("interim_target", 2030, 75.0)}


@pytest.fixture(scope="module")
def hedged(tmp_path_factory):
    """A real report whose one changed target is a low-confidence fact: 2023 as published,
    2024 with the other percentages moved and the estimated Scope 3 cut changed 20% -> 25%."""
    pages, labelled = real_pages(HEDGED_REPORT), labelled_evidence(HEDGED_REPORT)
    editions = {2023: (pages, 0), 2024: edition(pages, labelled, 3.0, (HEDGED_PAGE, HEDGED_OLD, HEDGED_NEW))}
    warehouse, counts = run_nights(tmp_path_factory.mktemp("real-hedged"), editions)
    return warehouse, counts, editions[2024][1]


def test_a_low_confidence_target_change_waits_for_review_until_accepted(hedged):
    from common.settings import review_confidence
    from warehouse.history import decide

    warehouse, counts, moved = hedged
    assert moved >= 10 and counts[2023]["alerts"] == 0 and counts[2024]["alerts"] == 0
    con = connect(warehouse)
    try:
        (item,) = rows(con, "SELECT * FROM review_items WHERE status = 'pending'")
        assert item["metric"] == "interim_target" and "-25% by 2030" in item["value"]
        assert item["confidence"] < review_confidence() and item["would_alert"] and item["page"] == HEDGED_PAGE
        assert item["change"] == "added" and "-25% by 2030" in item["new_value"]
        # the 2023 value waited too and is no longer in the current report
        assert con.execute("SELECT count(*) FROM review_items WHERE status = 'superseded' AND "
                           "value LIKE '-20% by 2030%'").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM alerts").fetchone() == (0,)
        done = decide(con, [item["review_id"]], "accepted", reviewer="test")
        assert done["alerts"] == 1
        assert con.execute("SELECT metric, change, new_value FROM alerts").fetchall() == \
            [("interim_target", "added", item["new_value"])]
    finally:
        con.close()
