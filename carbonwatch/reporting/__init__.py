"""Presentation: the text summary of a warehouse (summary.py) and the HTML report (html.py).
Reads the warehouse; writes nothing to it."""
