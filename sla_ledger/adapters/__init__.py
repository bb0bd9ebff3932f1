"""Adapters: storage, file formats and wiring, pointing inward at the domain."""
