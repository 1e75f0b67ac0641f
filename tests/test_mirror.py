"""The offline mirror: page text survives re-rendering, edition 2 changes exactly what it
declares, and the server answers conditional requests like a real site."""
from __future__ import annotations

import pytest
import requests

from carbonwatch.demo.mirror import EDITION2_EDITS, Edit, MirrorServer, _wrap, apply_edits, build_mirror, write_sources
from extractors.document import read_document
from extractors.facts import extract_facts
from extractors.pdftext import join_lines
from transforms.diff import diff_targets, targets_from_facts


@pytest.mark.parametrize("text", [
    "承诺到 2025 年将运营方面（范围 1 和 2）产生的温室气体排放量减少 75%，实现 75% 的收入来源",
    "In January 2023, we withdrew our commitment to the Science Based Targets initiative (‘SBTi’)",
    "UPM 致力于实现联合国 1.5° C 气候使命，设立科学碳目标 (SBTi) and net zero by 2040 或更早",
])
@pytest.mark.parametrize("limit", [5, 11, 40])
def test_wrapped_lines_join_back_to_the_same_text(text, limit):
    lines = _wrap(text, len, limit)
    assert len(lines) > 1
    assert join_lines(lines) == text


@pytest.fixture(scope="module")
def small_mirror(tmp_path_factory, report_cases):
    edited = {e.case_no for e in EDITION2_EDITS}
    cases = [c for c in report_cases if c.case_no in edited or c.case_no in (1, 12)]
    roots = build_mirror(cases, tmp_path_factory.mktemp("mirror"))
    return cases, roots


def test_mirror_pdf_pages_hold_the_cases_own_text(small_mirror):
    cases, roots = small_mirror
    for case in cases:
        pdf = roots[1] / "companies" / f"{case.case_no:03d}" / "reports" / "esg-2023.pdf"
        doc = read_document(str(pdf))
        assert doc.pages == len(case.chunks)
        texts = dict(doc.texts)
        for page, (_, text) in enumerate(case.chunks, start=1):
            if page in texts:  # candidate pages (with climate keywords) are the ones read
                assert texts[page] == text


def test_edition2_publishes_a_newer_report_only_for_edited_companies(small_mirror):
    cases, roots = small_mirror
    edited = {e.case_no for e in EDITION2_EDITS}
    for case in cases:
        reports = roots[2] / "companies" / f"{case.case_no:03d}" / "reports"
        assert (reports / "esg-2024.pdf").exists() == (case.case_no in edited)
        same = (reports / "esg-2023.pdf").read_bytes() == (
            roots[1] / "companies" / f"{case.case_no:03d}" / "reports" / "esg-2023.pdf").read_bytes()
        assert same  # the 2023 report is untouched in edition 2
        page = (roots[2] / "companies" / f"{case.case_no:03d}" / "index.html").read_text(encoding="utf-8")
        assert ("演示" in page) == (case.case_no in edited)  # demo edits are marked as such


def test_each_edit_changes_exactly_the_declared_target(report_cases):
    for case_no in sorted({e.case_no for e in EDITION2_EDITS}):
        case = report_cases[case_no - 1]
        before = targets_from_facts(extract_facts(case.chunks))
        after = targets_from_facts(extract_facts(apply_edits(case, EDITION2_EDITS)))
        got = {(c.metric, c.change, c.old and c.old.value, c.new and c.new.value)
               for c in diff_targets(case_no, before, after)}
        want = {(e.metric, e.change, e.old_value, e.new_value) for e in EDITION2_EDITS if e.case_no == case_no}
        assert got == want


def test_an_edit_whose_text_is_missing_is_refused(report_cases):
    with pytest.raises(ValueError, match="must occur exactly once"):
        apply_edits(report_cases[0], (Edit(1, "no such sentence", "x", "peak", "added", None, "2030"),))


def test_server_answers_conditional_requests_and_switches_editions(small_mirror, tmp_path):
    cases, roots = small_mirror
    case = next(c for c in cases if c.case_no in {e.case_no for e in EDITION2_EDITS})
    with MirrorServer(roots[1]) as server:
        sources = write_sources(cases, tmp_path / "sources.csv", server.base_url)
        assert server.base_url.startswith("http://127.0.0.1:")
        assert f"{server.base_url}/companies/{case.case_no:03d}/index.html" in sources.read_text(encoding="utf-8")
        url = f"{server.base_url}/companies/{case.case_no:03d}/reports/esg-2023.pdf"
        first = requests.get(url, timeout=5)
        assert first.status_code == 200 and first.content.startswith(b"%PDF")
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert requests.get(url, headers={"If-None-Match": etag}, timeout=5).status_code == 304
        assert requests.get(url, headers={"If-Modified-Since": modified}, timeout=5).status_code == 304
        landing = f"{server.base_url}/companies/{case.case_no:03d}/index.html"
        assert "esg-2024.pdf" not in requests.get(landing, timeout=5).text
        server.root = roots[2]
        assert "esg-2024.pdf" in requests.get(landing, timeout=5).text
        # unchanged bytes keep their validators across editions: still a 304
        assert requests.get(url, headers={"If-None-Match": etag}, timeout=5).status_code == 304
        assert requests.get(f"{server.base_url}/companies/999/index.html", timeout=5).status_code == 404
