"""A SYNTHETIC mirror of N companies for benchmarks at scale, generated from the offline mirror.

Synthetic company k is a copy of mirror case ((k - 1) mod 100) + 1 — its landing page and its
report PDFs, both editions — under the new company id `synthetic-NNNNN`, with no case_no (a
company of the user's sources, not of a seed report). Each copy's PDFs get a trailing PDF
comment naming the copy, so every company's report is its own document (same bytes would be
one document). Every page and name says SYNTHETIC: these are benchmark fixtures, not companies.
"""
from __future__ import annotations

import csv
import html
import os
import shutil
from pathlib import Path

from carbonwatch.demo.mirror import case_dir_name

SYNTHETIC_NOTE = "SYNTHETIC benchmark company (a copy of an offline-mirror case; not a real company)"


def synthetic_id(k: int) -> str:
    return f"synthetic-{k:05d}"


def template_case(k: int, case_nos: list[int]) -> int:
    return case_nos[(k - 1) % len(case_nos)]


def build_synthetic_mirror(roots: dict[int, Path], out_dir: str | Path, n: int,
                           case_nos: list[int] | None = None) -> dict[int, Path]:
    """Write editions of a mirror with N synthetic companies under out_dir/edition<e>, copied
    from the mirror editions `roots` (carbonwatch.demo.mirror.build_mirror's result).
    `case_nos`: the cases to copy, cycled (default every case of the mirror)."""
    out = Path(out_dir)
    case_nos = case_nos or sorted(int(p.name) for p in (roots[1] / "companies").iterdir())
    made = {}
    for edition, source_root in roots.items():
        root = out / f"edition{edition}"
        if root.exists():
            shutil.rmtree(root)
        (root / "companies").mkdir(parents=True)
        for k in range(1, n + 1):
            case_no = template_case(k, case_nos)
            src, dst = source_root / "companies" / case_dir_name(case_no), root / "companies" / synthetic_id(k)
            (dst / "reports").mkdir(parents=True)
            for pdf in sorted((src / "reports").glob("*.pdf")):
                target = dst / "reports" / pdf.name
                body = pdf.read_bytes() + f"\n%carbonwatch SYNTHETIC copy {synthetic_id(k)} of case {case_no}\n".encode()
                target.write_bytes(body)
                st = pdf.stat()
                os.utime(target, (st.st_atime, st.st_mtime))  # same Last-Modified as the template
            page = (src / "index.html").read_text(encoding="utf-8")
            page = page.replace("<body>", f"<body>\n  <p><strong>{html.escape(SYNTHETIC_NOTE)}: "
                                          f"{synthetic_id(k)}</strong></p>", 1)
            (dst / "index.html").write_text(page, encoding="utf-8")
            st = (src / "index.html").stat()
            os.utime(dst / "index.html", (st.st_atime, st.st_mtime))
        (root / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
        (root / "index.html").write_text(
            f"<!doctype html><html><head><meta charset='utf-8'><title>carbonwatch synthetic mirror</title></head>"
            f"<body><h1>{html.escape(SYNTHETIC_NOTE)}</h1><p>{n} companies</p></body></html>\n", encoding="utf-8")
        made[edition] = root
    return made


def write_synthetic_sources(n: int, path: str | Path, base_url: str, names: dict[int, str],
                            case_nos: list[int] | None = None) -> Path:
    """The sources CSV of a synthetic mirror: case_no empty, company_id `synthetic-NNNNN`.
    `names`: case_no -> name of the mirror's companies (to say what each copy copies)."""
    from urllib.parse import urlsplit

    case_nos = case_nos or sorted(names)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    host = urlsplit(base_url).hostname
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["case_no", "company_id", "name", "landing_url", "allowed_domains", "notes"])
        for k in range(1, n + 1):
            case_no = template_case(k, case_nos)
            w.writerow(["", synthetic_id(k), f"SYNTHETIC {k:05d} (copy of case {case_no} {names[case_no]})",
                        f"{base_url.rstrip('/')}/companies/{synthetic_id(k)}/index.html", host, SYNTHETIC_NOTE])
    return path
