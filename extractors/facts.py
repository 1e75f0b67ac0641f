from __future__ import annotations
from carbonwatch.schema import Fact
def extract_facts(chunks):
    return []
