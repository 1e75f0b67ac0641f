"""`carbonwatch report` renders in headless Chromium with every chart drawn, and is
self-contained (no external resource; the page's CSP forbids loading any)."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from carbonwatch.reporting.html import write_report
from warehouse.db import connect
from warehouse_fixtures import sample_warehouse

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    con = connect(sample_warehouse(tmp / "wh.duckdb"), read_only=True)
    try:
        return write_report(con, tmp / "report.html", progress=False)
    finally:
        con.close()


def test_report_is_self_contained(report):
    html = report.read_text(encoding="utf-8")
    assert "default-src 'none'" in html
    assert not re.search(r"<(link|img|iframe|object|embed)\b", html, re.I)
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", html, re.I)
    assert "@import" not in html and "url(" not in html
    for chart in ("chart-target-years", "chart-changes", "chart-coverage"):
        assert f'id="{chart}"' in html


def chromium(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: install Debian's chromium "
                                                   "(apt-get install -y chromium) to render the report")
def test_chromium_draws_every_chart(report, tmp_path):
    proc = chromium(["--virtual-time-budget=5000", "--dump-dom", report.as_uri()], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r'<pre id="render-check">(.*?)</pre>', proc.stdout, re.S)
    assert m and m.group(1).strip(), "the page's check script did not run"
    drawn = json.loads(m.group(1))
    assert set(drawn) == {"chart-target-years", "chart-changes", "chart-coverage"}
    for chart, d in drawn.items():
        assert d["width"] > 300 and d["height"] > 100, (chart, d)
    # the marks the browser laid out with a real size: one dot per (sector, metric, year), one bar
    # segment per (month, kind of change), one bar per metric present
    assert drawn["chart-target-years"]["marks"] == 6
    assert drawn["chart-changes"]["marks"] == 3
    assert drawn["chart-coverage"]["marks"] == 8


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent: install Debian's chromium "
                                                   "(apt-get install -y chromium) to render the report")
def test_chromium_screenshot_has_the_chart_colours(report, tmp_path):
    shot = tmp_path / "shot.png"
    proc = chromium(["--window-size=1200,2000", f"--screenshot={shot}", report.as_uri()], tmp_path)
    assert proc.returncode == 0 and shot.exists(), proc.stderr[-2000:]
    pixels = _png_pixels(shot)
    # colours only the charts use: carbon-neutral green, changed blue, withdrawn orange
    for rgb in ((0x00, 0x9E, 0x73), (0x00, 0x72, 0xB2), (0xD5, 0x5E, 0x00)):
        assert sum(1 for p in pixels if p == rgb) > 100, rgb


def _png_pixels(path: Path) -> list[tuple[int, int, int]]:
    """Decode an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes) without Pillow."""
    import struct
    import zlib

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and color in (2, 6) and interlace == 0
            bpp = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = width * bpp
    prev = bytearray(stride)
    out = []
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += [tuple(line[i:i + 3]) for i in range(0, stride, bpp)]
        prev = line
    return out
