"""Company names across reports: one company may be a case in several reports, named a
little differently ("通用电气（GE）", "GE 中国", "巴斯夫中国", "高通公司（Qualcomm）").

`name_variants` turns a name into comparable forms (whitespace and case dropped, a
bracketed alias split off, legal-form and "China" suffixes taken away); `text_aliases`
finds the other-language name a case's own text puts in brackets next to the company's
name ("高通公司（Qualcomm）", "LinkedIn（领英）"). Two cases are one company when their
variants meet. Pure functions: no list of companies anywhere.
"""
from __future__ import annotations

import re

_BRACKET = re.compile(r"\s*[（(]([^（）()]{1,40})[）)]\s*")
# legal forms and the China arm, taken off the end (repeatedly): "戴尔科技集团" -> "戴尔科技"
_SUFFIX = re.compile(r"(?:有限公司|股份有限公司|有限责任公司|股份|公司|集团|控股|中国|\(中国\)|"
                     r"\binc\.?|\bltd\.?|\bllc|\bplc|\bcorp(?:oration)?\.?|\bco\.?|\bgroup|\bchina|"
                     r"\bholdings?|\blimited|\bcompany|[,.])$", re.I)
_LATIN = r"[A-Za-z][A-Za-z0-9&.'\- ]{0,38}[A-Za-z0-9.]|[A-Za-z]"


def _cjk(s: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", s))


def _squash(name: str) -> str:
    return re.sub(r"\s+", "", name).lower()


def _core(name: str) -> str:
    s = name.strip()
    while True:
        t = _SUFFIX.sub("", s).strip()
        if t == s or len(_squash(t)) < 2:
            return s
        s = t


def name_variants(*names: str | None) -> set[str]:
    """Comparable forms of a company's names: each name, its bracketed alias and the
    text outside the brackets, with and without legal-form / China suffixes."""
    out: set[str] = set()
    for name in names:
        if not name:
            continue
        outside = _BRACKET.sub(" ", name)
        # a bracketed other-language name is an alias ("通用电气（GE）"); a bracketed word of
        # the name's own script is a place or arm ("瀚森恒业（北京）", "APP（中国）")
        parts = [name, outside] + [a for a in _BRACKET.findall(name) if _cjk(a) != _cjk(outside)]
        for p in parts:
            for form in (p, _core(p)):
                v = _squash(form)
                if len(v) >= 2 and not v.isdigit() and _SUFFIX.sub("", form.strip()).strip():
                    out.add(v)
    return out


def text_aliases(name: str, text: str) -> set[str]:
    """The other-language names a case's text puts in brackets right next to the
    company's name: "高通公司（Qualcomm）" -> Qualcomm, "LinkedIn（领英）" -> LinkedIn."""
    core = _core(_BRACKET.sub(" ", name)).strip()
    if len(_squash(core)) < 2:
        return set()
    n = re.escape(core)
    found = set()
    for m in re.finditer(rf"{n}(?:公司|集团)?\s*[（(]\s*({_LATIN})\s*[）)]", text):
        found.add(m.group(1).strip())
    for m in re.finditer(rf"({_LATIN})\s*[（(]\s*{n}(?:公司|集团)?\s*[）)]", text):
        found.add(m.group(1).strip())
    return found


def match_company(variants: set[str], known: dict[int, set[str]]) -> tuple[int, str] | None:
    """The one known company (id -> its variants) sharing a variant with ``variants``, and
    the shared form; None when none or more than one company does."""
    hits = {cid: sorted(variants & v)[0] for cid, v in known.items() if variants & v}
    return next(iter(hits.items())) if len(hits) == 1 else None
