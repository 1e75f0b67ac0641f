"""Finding report links on a page: link extraction (BeautifulSoup), report / page scoring by link
text, surrounding text and URL, and the report year."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urljoin, urlsplit

from bs4 import BeautifulSoup

from .urls import strip_fragment

# Phrases that name a sustainability-type report outright.
STRONG = re.compile(
    r"可持续发展报告|可持续发展暨|ESG\s*报告|社会责任报告|企业社会责任|环境报告|环境、?社会及(?:公司)?管治报告|"
    r"环境信息披露报告|碳中和报告|气候(?:变化)?(?:相关)?(?:信息|风险)?(?:披露)?报告|"
    r"(?:sustainability|esg|csr|climate|impact|tcfd|responsibility|environmental)[\s_-]*(?:\w+[\s_-]+)?report",
    re.I,
)
# Topic words: the document is about ESG / climate.
TOPIC = re.compile(
    r"可持续|社会责任|环境|气候|碳|ESG|\bCSR\b|sustainab|climate|tcfd|\bimpact\b|carbon|"
    r"responsib|environment|net[\s-]?zero",
    re.I,
)
TOPIC_URL = re.compile(r"esg|csr|sustainab|climate|tcfd|impact|carbon|responsib|environment|kechixu|shehuizeren", re.I)
REPORT_WORD = re.compile(r"报告|report|disclosure|披露|review", re.I)
# Pages worth following to find reports.
PAGE_WORD = re.compile(
    r"报告|可持续|社会责任|ESG|环境|气候|投资者|信息披露|下载|report|sustainab|csr|investor|"
    r"disclosure|download|library|archive|publication|climate|responsib",
    re.I,
)
LESSER = re.compile(r"摘要|简版|概要|summary|highlights?|executive|policy|政策|制度|指引", re.I)
HTML_EXT = re.compile(r"\.(?:s?html?|php|aspx?|jsp)$", re.I)
SKIP_EXT = re.compile(
    r"\.(?:jpe?g|png|gif|svg|webp|ico|css|js|mp4|mp3|zip|rar|7z|docx?|xlsx?|pptx?|xml|json)$", re.I
)
_CN_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
_YEAR = re.compile(r"(?<!\d)((?:19[89]|20\d)\d)(?:\s*[-–—/~至]\s*((?:19|20)?\d\d))?(?!\d)")


def report_year(*texts: str) -> int | None:
    """The report year from the first text that has one (a range like 2022-2023 or
    2022/23 gives its later year; Chinese numerals such as 二〇二三 count)."""
    top = date.today().year + 1
    for text in texts:
        if not text:
            continue
        for m in _YEAR.finditer(unquote(text).translate(_CN_DIGITS)):
            year = int(m.group(1))
            if m.group(2):
                end = m.group(2)
                end = int(end) if len(end) == 4 else (year // 100) * 100 + int(end)
                if year < end <= year + 1 and end <= top:
                    year = end
            if 1990 <= year <= top:
                return year
    return None


@dataclass
class Link:
    url: str
    text: str  # the link's own text (or title / img alt)
    context: str  # the nearest enclosing text, for generic links like "Download"


def page_links(body: bytes, base_url: str, content_type: str | None = None) -> list[Link]:
    encoding = None
    if content_type and "charset=" in content_type.lower():
        encoding = content_type.lower().split("charset=", 1)[1].split(";")[0].strip(" \"'")
    soup = BeautifulSoup(body, "html.parser", from_encoding=encoding)
    base = soup.find("base", href=True)
    if base is not None:
        base_url = urljoin(base_url, base["href"].strip())
    links: list[Link] = []
    for tag in soup.find_all(["a", "area"], href=True):
        href = tag["href"].strip()
        if not href or href.startswith(("#", "mailto:", "javascript:", "tel:", "data:")):
            continue
        try:
            url = strip_fragment(urljoin(base_url, href))
        except ValueError:
            continue
        text = " ".join(tag.get_text(" ", strip=True).split())
        if not text:
            img = tag.find("img", alt=True)
            text = (tag.get("title") or tag.get("aria-label") or (img["alt"] if img else "") or "").strip()
        context = ""
        node = tag
        for _ in range(3):
            node = node.parent
            if node is None or node.name in ("body", "html", "[document]"):
                break
            ctx = " ".join(node.get_text(" ", strip=True).split())
            if len(ctx) > 300:
                break
            context = ctx
            if len(ctx) > len(text) + 3:
                break
        links.append(Link(url, text[:300], context))
    return links


@dataclass
class Candidate:
    url: str
    title: str
    report_year: int | None
    score: float
    order: int
    from_page: str = ""


def _path(url: str) -> str:
    return unquote(urlsplit(url).path)


def classify(link: Link) -> tuple[str, float]:
    """("document" | "page" | "ignore", score). A document link names an ESG topic and is a PDF,
    or has report wording; a page link looks like a way to the reports."""
    path = _path(link.url)
    low = path.lower()
    text = link.text
    context = link.context if (not TOPIC.search(text) or not REPORT_WORD.search(text)) else ""
    words = f"{text} {context}"
    if SKIP_EXT.search(low):
        return "ignore", 0.0
    is_pdf = low.endswith(".pdf")
    topic_text = bool(TOPIC.search(words))
    topic_url = bool(TOPIC_URL.search(low))
    strong = bool(STRONG.search(words) or STRONG.search(path.replace("/", " ")))
    report = bool(REPORT_WORD.search(words) or REPORT_WORD.search(low))
    year = report_year(text, path, context)
    score = 0.0
    score += 5 if strong else 0
    score += 3 if topic_text else 0
    score += 2 if topic_url else 0
    score += 2 if is_pdf else 0
    score += 1 if report else 0
    score += 1 if year else 0
    score -= 2 if LESSER.search(words) or LESSER.search(low) else 0
    if (topic_text or topic_url or strong) and (is_pdf or (not HTML_EXT.search(low) and report and (year or strong))):
        return "document", score
    page_score = (2 if PAGE_WORD.search(words) else 0) + (1 if PAGE_WORD.search(low) else 0) + (2 if topic_text else 0)
    if is_pdf or page_score == 0:
        return "ignore", 0.0
    return "page", float(page_score)


def candidate(link: Link, score: float, order: int, from_page: str) -> Candidate:
    title = link.text if (TOPIC.search(link.text) or not link.context) else link.context
    year = report_year(link.text, _path(link.url), link.context)
    return Candidate(link.url, title, year, score, order, from_page)
