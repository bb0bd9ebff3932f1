"""The pure domain of sla-ledger: evidence, terms and the measurement rules.

Nothing here touches storage, files or the command line; every figure is a
function of events, so it can be called in a test without a database.
"""
