"""Extraction layer: page text (pdftext), the 100-case report (cases), fact rules
(facts) and whole documents with caps and clear failures (document)."""
