"""Audit and recovery: verify by replay, Merkle proofs, explanations, backups."""
