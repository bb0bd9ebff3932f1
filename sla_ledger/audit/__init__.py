"""Audit and recovery: checking the ledger, and restoring it to a point in time."""
