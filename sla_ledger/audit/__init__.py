"""Audit and recovery: explain, verify by replay, Merkle proofs, history, backups."""
