"""Phrases read in sentences of every language: reports mix languages within one sentence
("公司于 2021 年 joined RE100"), so these patterns hold both languages' wording."""
from __future__ import annotations

import re

# membership of RE100 (never "100% renewable (RE100 standard)")
RE100_MEMBER = re.compile(
    r"(?:加入|成为|是)[^，。；]{0,8}RE100|RE100\s*(?:成员|会员|倡议成员|member)|"
    r"\b(?:joined|join|member of|members of|signatory to|signed up to)\s+(?:the\s+)?(?:Climate Group'?s?\s+)?RE100|"
    r"RE100\s+(?:member|membership|commitment|campaign)|participat\w+ in [^.]{0,40}RE100", re.I)
# a withdrawn commitment (an SBTi withdrawal anywhere in a document cancels its SBTi facts)
WITHDRAWN = re.compile(r"withdr[ae]w|withdrawn|withdrawal|撤回|退出|撤销", re.I)
