"""Is each fact's quote really on the page it cites?"""
from __future__ import annotations

import re

_SPACE = re.compile(r"\s+")


def mark_evidence_on_page(facts: list[dict], texts: list[tuple[int, str]]) -> None:
    """Set fact["evidence_on_page"]: is the quote (whitespace aside) on the page it cites, in
    the text the extractor read? None when that page's text is not at hand."""
    pages = {}
    for page, text in texts:
        pages[page] = pages.get(page, "") + _SPACE.sub("", text)
    for f in facts:
        page = pages.get(f.get("page"))
        evidence = _SPACE.sub("", f.get("evidence") or "")
        f["evidence_on_page"] = None if page is None else bool(evidence) and evidence in page
