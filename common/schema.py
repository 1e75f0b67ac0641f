"""The one fact schema every stage shares: extractors produce Facts, transforms
normalise and diff them, expectations validate them, the warehouse stores them."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from common.metrics import METRIC_NAMES as METRICS, YEAR_METRICS  # noqa: F401  (the metric table)
STATUSES = ("target", "achieved")

# The report's own classification (its summary table); used by validation.
SECTORS = ("初级资源", "工业制造", "基础服务", "商业消费")
INDUSTRIES = (
    "设备制造", "材料制造", "食品饮料", "物流运输", "信息技术", "能源生产", "金融服务",
    "商贸服务", "房地产", "工程建设", "玩具日化", "家电电子", "纺织家具", "农林牧渔",
    "矿产采掘", "公共事业",
)


@dataclass
class Fact:
    """One climate target or achievement, with provenance.

    year      target year, year achieved, or as-of year of a share
    value     percent for shares and reductions, True for re100, else None
    base_year base year of a reduction target
    scope     free text kept short: "operations", "scope 1+2", "value chain", a site...
    page      1-based page of the source document
    evidence  short verbatim quote from that page
    value_high  upper bound of a range ("20-30%": value 20, value_high 30); None otherwise
    confidence  0..1, how sure the rule that produced it is (low: goes to review, never alerts)
    rule      name of the rule that produced it (extractors/lang/<code>.py), for review and debugging
    """

    metric: str
    year: int | None = None
    value: float | bool | None = None
    base_year: int | None = None
    scope: str | None = None
    status: str = "target"
    page: int | None = None
    evidence: str = ""
    value_high: float | None = None
    confidence: float = 1.0
    rule: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Fact":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


FACT_FIELDS = tuple(f.name for f in fields(Fact))
# What makes two facts the same fact (fact_id): how sure a rule was, or which rule, does not.
FACT_IDENTITY = ("metric", "year", "value", "base_year", "scope", "status", "page", "evidence")


@dataclass
class Case:
    """One company case of the 100-case report."""

    case_no: int
    name: str
    sector: str
    industry: str
    pages: list[int]
    # (page, text) pieces of the case body, in reading order
    chunks: list[tuple[int, str]] = field(default_factory=list)
