"""Hard PDFs: multi-column layouts, CJK fonts that pdfplumber prints as (cid:NN), encrypted,
corrupt/truncated, not a PDF, image-only, very large; time and memory caps. The fixtures
are made at test time by tests/fixtures/make_fixtures.py (reportlab)."""
from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pdfplumber
import pytest

from extractors.document import DocumentError, extract_document, read_document
from extractors.pdftext import join_lines, pdfium_texts, plumber_texts, split_lines

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
import make_fixtures  # noqa: E402

NZ_SENTENCE = ("Our ambition is to reach net zero greenhouse gas emissions across our own operations "
               "by 2040, ten years ahead of the Paris Agreement.")


@pytest.fixture(scope="module")
def fx(tmp_path_factory):
    out = tmp_path_factory.mktemp("hardpdfs")
    return {name: build(out) for name, build in make_fixtures.BUILDERS.items() if name != "large"}


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    return make_fixtures.large(tmp_path_factory.mktemp("large"), pages=300)


def fact_keys(doc):
    return {(f.metric, f.year, f.value) for f in doc.facts}


# ---- multi-column
def test_two_columns_are_read_in_column_order(fx):
    with pdfplumber.open(fx["two_column"]) as pdf:
        naive = join_lines(split_lines(pdf.pages[0].extract_text()))
    assert NZ_SENTENCE not in naive  # pdfplumber's default text merges the two columns
    doc = extract_document(str(fx["two_column"]))
    assert NZ_SENTENCE in doc.texts[0][1]
    assert fact_keys(doc) == {("net_zero", 2040, None), ("interim_target", 2030, 42.0)}
    nz = next(f for f in doc.facts if f.metric == "net_zero")
    assert nz.page == 1 and nz.evidence in NZ_SENTENCE


def test_columns_drawn_row_by_row_are_reordered(fx):
    path = str(fx["two_column_rows"])
    raw = join_lines(split_lines(pdfium_texts(path)[0]))
    assert NZ_SENTENCE not in raw  # the content stream alternates left/right lines
    doc = read_document(path)
    assert doc.stats["mixed_column_pages"] == 1 and doc.stats["pdfplumber_pages"] == 1
    assert NZ_SENTENCE in doc.texts[0][1]
    assert fact_keys(doc) == {("net_zero", 2040, None), ("interim_target", 2030, 42.0)}
    [(_, cols)] = list(plumber_texts(path, columns=True))
    assert cols.index("Climate strategy") < cols.index("with a 2019 baseline.") < cols.index(
        "Community programmes")


# ---- CJK font without a usable ToUnicode map
def test_cid_codes_fall_back_to_pdfium_text(fx):
    path = str(fx["cjk_cid"])
    with pdfplumber.open(path) as pdf:
        assert "(cid:" in pdf.pages[0].extract_text()
    [(page, text)] = list(plumber_texts(path))
    assert page == 1 and "(cid:" not in text and "运营层面碳中和" in text
    doc = extract_document(path)
    assert fact_keys(doc) == {("carbon_neutral", 2030, None), ("net_zero", 2060, None),
                              ("green_power_share", 2022, 34.0)}


# ---- unreadable documents fail with a clear reason
@pytest.mark.parametrize("name,reason", [
    ("encrypted", "encrypted PDF: a password is required"),
    ("truncated", "corrupt or truncated PDF"),
    ("not_a_pdf", "not a PDF"),
    ("image_only", "no text layer"),
])
def test_unreadable_documents(fx, name, reason):
    with pytest.raises(DocumentError) as err:
        extract_document(str(fx[name]))
    assert err.value.file == Path(fx[name]).name
    assert reason in str(err.value)


def test_encrypted_with_password(fx):
    doc = extract_document(str(fx["encrypted"]), password="secret")
    assert fact_keys(doc) == {("net_zero", 2040, None)}


def test_missing_and_empty_files(tmp_path):
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(DocumentError, match="empty file"):
        extract_document(str(empty))
    with pytest.raises(DocumentError, match="cannot read file"):
        extract_document(str(tmp_path / "nope.pdf"))


def test_cli_reports_errors_per_document_and_continues(fx):
    proc = subprocess.run([sys.executable, "-m", "carbonwatch.cli", "extract", str(fx["two_column"]),
                           str(fx["image_only"]), str(fx["encrypted"])],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    recs = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["file"] for r in recs] == ["two_column.pdf", "image_only.pdf", "encrypted.pdf"]
    assert recs[0]["pages"] == 1 and len(recs[0]["facts"]) == 2 and "error" not in recs[0]
    assert "no text layer" in recs[1]["error"] and recs[1]["facts"] == []
    assert "password" in recs[2]["error"]
    assert "image_only.pdf: no text layer" in proc.stderr


# ---- very large documents, time and memory caps
def test_large_report_within_caps(large):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    doc = extract_document(str(large), timeout=60, max_rss_mb=1024)
    assert doc.pages == 300
    assert fact_keys(doc) == {("net_zero", 2040, None)}
    assert next(iter(doc.facts)).page == 151
    peak_mb = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    assert peak_mb < 1024
    assert doc.stats["seconds"] < 30


@pytest.mark.parametrize("caps,reason", [
    (dict(timeout=0.05), "time cap exceeded"),
    (dict(max_rss_mb=8), "memory cap exceeded"),
    (dict(max_pages=100), "too large: 300 pages"),
])
def test_caps_fail_the_document_with_a_reason(large, caps, reason):
    with pytest.raises(DocumentError) as err:
        extract_document(str(large), **caps)
    assert reason in str(err.value) and err.value.file == Path(large).name
