"""The metric table: one spec per tracked metric, the one place a metric is described.

Read by the extractor's candidate filter (`triggers`), normalisation and the diff
(`kind`, `canonical`), the Great Expectations suite (the allowed metrics, which need a year),
the warehouse's views (`METRIC_NAMES`, `YEAR_METRICS`) and the HTML report (`label`, `colour`).
To add a metric: add a MetricSpec here, then the extractor rules that produce it (see
docs/extending.md); tests/test_metric_table.py checks that every consumer covers every metric.

Kinds of value:
  year        a target (or achieved) year; `value` is None          peak, net_zero, carbon_neutral
  share       an achieved percentage, as of `year`; the latest as-of   green_power_share
              year represents it, and a new as-of year alone is no change
  percent     a target percentage by `year` (base year kept); the       renewable_electricity_target,
              nearest open target year represents it                   interim_target
  membership  True in `value` while the company is a member          re100
  status      a commitment whose stage is the fact's `status`        sbti
"""
from __future__ import annotations

from dataclasses import dataclass, field

KINDS = ("year", "share", "percent", "membership", "status")


@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: str
    label: str                     # English label (reports, alerts)
    label_zh: str                  # Chinese label
    colour: str                    # colour-blind-safe (Okabe-Ito) colour in charts
    # Canonical value an analyst reads in an alert; fields: {year} {value} {base} {achieved}
    # {in_year} {stage}. Two facts of one target with the same canonical value are equal.
    canonical: str
    # Words that make a page or sentence worth reading for this metric, per language
    # (regular expressions, case-insensitive). Keys are language codes (extractors/lang/).
    triggers: dict[str, str] = field(default_factory=dict)
    unit: str | None = None        # "year" or "%"; None for membership / status
    stages: dict[str, str] = field(default_factory=dict)  # kind "status": status -> {stage}
    neutrality: bool = False  # a carbon-neutral / net-zero goal (the report's neutrality counts)
    column_prefix: str | None = None  # short prefix of its columns in v_company_targets (default: name)

    @property
    def needs_year(self) -> bool:
        return self.kind == "year"


METRIC_TABLE: tuple[MetricSpec, ...] = (
    MetricSpec("peak", "year", "carbon peak", "碳达峰", "#e69f00", "{year}{achieved}",
               {"zh": r"达峰|峰值", "en": r"peak(?:ing)? (?:of )?(?:carbon|emissions)"}, unit="year"),
    MetricSpec("net_zero", "year", "net zero", "净零", "#0072b2", "{year}{achieved}",
               {"zh": r"净零", "en": r"net[- ]?zero"}, unit="year", neutrality=True),
    MetricSpec("carbon_neutral", "year", "carbon neutral", "碳中和", "#009e73", "{year}{achieved}",
               {"zh": r"碳中和", "en": r"carbon[- ]neutral|climate[- ]neutral"}, unit="year",
               neutrality=True),
    MetricSpec("re100", "membership", "RE100", "RE100", "#cc79a7", "member",
               {"zh": r"RE100", "en": r"RE100"}),
    MetricSpec("renewable_electricity_target", "percent", "renewable electricity target", "可再生电力目标",
               "#56b4e9", "{value}% by {year}{achieved}",
               {"zh": r"可再生|绿电|绿色电力|清洁能源", "en": r"renewable"}, unit="%"),
    MetricSpec("green_power_share", "share", "green power share", "绿电占比", "#7fbf3f", "{value}%{in_year}",
               {"zh": r"可再生|绿电|绿色电力|清洁能源", "en": r"renewable"}, unit="%"),
    MetricSpec("sbti", "status", "SBTi", "科学碳目标", "#d55e00", "{stage}",
               {"zh": r"SBTi|科学碳|科学减排", "en": r"SBTi|science[- ]based"},
               stages={"target": "committed", "achieved": "targets validated"}),
    MetricSpec("interim_target", "percent", "interim target", "阶段性减排目标", "#999999",
               "-{value}% by {year}{base}{achieved}",
               {"zh": r"减排|排放", "en": r"emissions?|decarboni"}, unit="%", column_prefix="interim"),
)

METRICS: dict[str, MetricSpec] = {spec.name: spec for spec in METRIC_TABLE}
METRIC_NAMES: tuple[str, ...] = tuple(METRICS)
YEAR_METRICS: tuple[str, ...] = tuple(s.name for s in METRIC_TABLE if s.kind == "year")
PERCENT_METRICS: tuple[str, ...] = tuple(s.name for s in METRIC_TABLE if s.kind in ("share", "percent"))


def triggers(language: str) -> str:
    """One alternation of every metric's trigger words in a language (the candidate filter)."""
    seen: list[str] = []
    for spec in METRIC_TABLE:
        for alt in spec.triggers.get(language, "").split("|"):
            if alt and alt not in seen:
                seen.append(alt)
    return "|".join(seen)
