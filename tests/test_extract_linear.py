"""Extraction time is linear in page length (issue 13: a 200,000-character page cost 180–305 s,
the clause search was quadratic). The 200k page itself is timed in benchmarks/extract_bench.py;
here the work of a 40k page is compared with a 10k page of the same text (4x the text must cost
about 4x, never 16x), and run-on text is cut into bounded sentences."""
import time

from extractors.facts import extract_facts, sentences
from extractors.text import MAX_SENTENCE, clause_bounds

ZH = "公司承诺2030年前实现碳达峰并于2060年前实现碳中和 可再生电力占比达到50% 较2020年减少排放30% "
EN = ("We commit to net zero by 2050 and 100% renewable electricity by 2030 reducing emissions 42% "
      "from a 2019 base ")


def _page(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _cpu(text: str) -> float:
    best = float("inf")
    for _ in range(2):
        t0 = time.process_time()
        extract_facts([(1, text)], ref_year=2024)
        best = min(best, time.process_time() - t0)
    return best


def test_run_on_text_is_cut_into_bounded_sentences():
    text = _page(ZH, 50_000)  # no sentence end at all
    spans = sentences(text)
    assert max(b - a for a, b in spans) <= MAX_SENTENCE
    assert len(spans) >= 50_000 // MAX_SENTENCE
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:]))  # in order, no overlap
    # nothing but the whitespace at a cut is lost
    covered = sum(b - a for a, b in spans)
    assert covered >= len(text) - 2 * len(spans)


def test_clause_bounds_matches_a_scan():
    s = "目标一，2030年碳达峰：可再生电力(50%)；净零"
    for a in range(len(s)):
        for b in range(a, len(s) + 1):
            lo = a
            while lo > 0 and s[lo - 1] not in "，,：:；;（）()":
                lo -= 1
            hi = b
            while hi < len(s) and s[hi] not in "，,：:；;（）()":
                hi += 1
            assert clause_bounds(s, a, b) == (lo, hi)


def test_work_grows_linearly_with_page_length():
    for unit in (ZH, EN):
        small, large = _cpu(_page(unit, 10_000)), _cpu(_page(unit, 40_000))
        # linear: ~4x; the quadratic search was ~12-16x. 8x leaves room for a noisy machine.
        assert large < 8 * small + 0.2, (unit[:10], small, large)
        assert extract_facts([(1, _page(unit, 40_000))], ref_year=2024)  # still finds the targets
