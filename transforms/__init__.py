"""Normalise, dedupe and diff facts against history."""
