"""Crawler benchmark: a cold crawl of a 100-company mirror on 127.0.0.1, then a second crawl with
nothing changed. Goal: the second run downloads no report body and takes < 5% of the cold run.

    .venv/bin/python -m benchmarks.crawl_bench [--companies 100] [--pdf-kib 2048] [--workers 8]

Prints one JSON object. Crawl only: extraction is not part of this number (the second run hands
no document to extraction: "to_extract" counts documents with status "new").
"""
from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from carbonwatch.demo.mirror import MirrorServer
from extractors.crawl import CrawlConfig, crawl_sources


def _pdf(text: str, pad: int) -> bytes:
    content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode() + b"\n%" + b"x" * pad + b"\n"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, obj in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def build(root: Path, companies: int, pdf_bytes: int) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    for n in range(1, companies + 1):
        d = root / "companies" / f"{n:03d}"
        (d / "reports").mkdir(parents=True)
        for year in (2023, 2022):
            (d / "reports" / f"esg-{year}.pdf").write_bytes(_pdf(f"company {n} {year}", pdf_bytes))
        (d / "index.html").write_text(
            '<!doctype html><meta charset="utf-8"><h2>ESG 与可持续发展报告下载</h2><ul>'
            '<li><a href="reports/esg-2023.pdf">2023 可持续发展报告（PDF）</a></li>'
            '<li><a href="reports/esg-2022.pdf">2022 可持续发展报告（PDF）</a></li></ul>'
            '<p><a href="/">全部公司</a></p>', encoding="utf-8")


def run(companies: int = 100, pdf_kib: int = 2048, workers: int = 8) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        build(tmp / "site", companies, pdf_kib * 1024)
        with MirrorServer(tmp / "site") as server:
            sources = [{"case_no": n, "name": f"company {n}", "allowed_domains": "127.0.0.1",
                        "landing_url": f"{server.base_url}/companies/{n:03d}/index.html"}
                       for n in range(1, companies + 1)]
            config = CrawlConfig(per_host_delay=0.0, per_host_concurrency=workers)
            out = {"companies": companies, "pdf_kib": pdf_kib, "workers": workers}
            known: dict = {}
            for label in ("cold", "unchanged"):
                t0 = time.perf_counter()
                results = crawl_sources(sources, tmp / "raw", known, config, workers=workers)
                wall = time.perf_counter() - t0
                docs = [d for r in results for d in r["documents"]]
                out[label] = {
                    "wall_s": round(wall, 3),
                    "documents": len(docs),
                    "bodies_downloaded": sum(d["http_status"] == 200 for d in docs),
                    "bytes_downloaded": sum(r["counts"]["bytes_downloaded"] for r in results),
                    "to_extract": sum(d["status"] == "new" for d in docs),
                    "failed": sum(d["status"] == "failed" for d in docs) + sum(bool(r["error"]) for r in results),
                }
                known = {d["url"]: {"etag": d["etag"], "last_modified": d["last_modified"], "sha256": d["sha256"]}
                         for d in docs if d["sha256"]}
    out["unchanged_over_cold"] = round(out["unchanged"]["wall_s"] / out["cold"]["wall_s"], 4)
    out["goal_met"] = (out["unchanged"]["bodies_downloaded"] == 0 and out["unchanged"]["to_extract"] == 0
                       and out["unchanged_over_cold"] < 0.05)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--companies", type=int, default=100)
    ap.add_argument("--pdf-kib", type=int, default=2048, help="size of each report PDF")
    ap.add_argument("--workers", type=int, default=8)
    a = ap.parse_args(argv)
    print(json.dumps(run(a.companies, a.pdf_kib, a.workers), indent=2))


if __name__ == "__main__":
    main()
