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
# hedged wording: a fact read in such a sentence gets a low confidence (held for review)
HEDGES = re.compile(
    r"\b(?:investigat\w*|explor\w*|consider(?:s|ing)?|evaluat\w*|assess\w* (?:how|whether)|may|might|"
    r"could|potentially|aspir\w*|estimat\w*|subject to|hope\w*)\b|"
    r"探索|研究|考虑|可能|若|如果|有望|评估|力求", re.I)
# a subsidiary's, a joint venture's target: the report may state it as the group's (kept), but
# it is held for review
GROUP_PART = re.compile(r"\bsubsidiar\w*|\bjoint venture|\baffiliate[sd]?\b|子公司|附属公司|合资公司", re.I)
