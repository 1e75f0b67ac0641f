"""Normalise facts, key them, and diff targets against history."""
