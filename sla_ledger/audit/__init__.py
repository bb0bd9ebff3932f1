"""Audit: a ledger's history, explained, verified and compared over time."""
