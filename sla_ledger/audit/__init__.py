"""Auditing the ledger: figures explained and checked against the log."""
