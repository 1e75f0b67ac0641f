"""The languages of the extraction rules, one module per language (like spaCy's
``spacy/lang/<code>/``): ``zh`` (Chinese) and ``en`` (English), plus ``shared`` for phrases
read in every language. ``detect_language`` is the one language detector; ``LANGUAGES`` the
registry the engine (extractors/facts.py) and the page filter (extractors/document.py) read.

Every language module provides the names in ``INTERFACE``:
  CODE             its language code, the key of its trigger words in common/metrics.py
  NUMBER_CUES      numbers the rules read (%, 百分, half…), a regular-expression alternation
  KEYWORD_CUES     keyword variants the rules read that the metric table's triggers lack
  SENTENCE_BREAK   the pattern between sentences; KEEP_BREAK: the break ends the sentence (。)
  EXTENDS          "the objective extends to … by 2030": groups ``scope`` and ``year``
  SBTI, SBTI_CUE   SBTi mentions; pages worth scanning for a withdrawn SBTi commitment
  HEADINGS         section headings to blank before the rules read a sentence
  OTHERS_SPEAK     a sentence whose goals are a state's, a policy paper's or an industry's;
                   GOAL_LIST_GOES_ON: the next sentence goes on listing them (both skipped)
  year_metrics(s, years, ref), percent_metrics(s, years, ref), flags(s) -> list[RuleHit]

May import: common, extractors.text, extractors.years. See docs/extending.md to add a language.
"""
from __future__ import annotations

import re

from common.metrics import triggers

from ..text import cjk_ratio
from . import en, zh

LANGUAGES = {"zh": zh, "en": en}
INTERFACE = ("CODE", "NUMBER_CUES", "KEYWORD_CUES", "SENTENCE_BREAK", "KEEP_BREAK", "EXTENDS",
             "SBTI", "SBTI_CUE", "HEADINGS", "OTHERS_SPEAK", "GOAL_LIST_GOES_ON", "year_metrics", "percent_metrics", "flags")


def detect_language(text: str) -> str:
    """"zh" when CJK characters make up more than 30% of the letters, else "en"."""
    return "zh" if cjk_ratio(text) > 0.3 else "en"


def rule_trigger() -> re.Pattern:
    """Words that open a page or sentence to the rules, in any language: every metric's trigger
    words (common/metrics.py) and each language's number and keyword cues."""
    parts = []
    for code, module in LANGUAGES.items():
        parts += [p for p in (triggers(code), module.NUMBER_CUES, module.KEYWORD_CUES) if p]
    return re.compile("|".join(parts), re.I)
