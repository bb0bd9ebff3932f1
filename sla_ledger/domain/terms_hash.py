"""Terms as data: the content hash of a contract's terms, and which terms a month is under.

The hash is SHA-256 of the terms' canonical JSON: the ``contract`` object
exactly as a ``ContractSigned`` or ``ContractAmended`` line of the interchange
format holds it, written with keys sorted, no whitespace (``","`` and ``":"``
as separators), non-ASCII characters as themselves, in UTF-8. Every value in it
is a string, a boolean, an integer, null, a list or an object (money, percents
and durations are decimal strings), so any JSON library reproduces it
(docs/rules.md, "Terms as data").
"""

from __future__ import annotations

import hashlib
import json

from sla_ledger.domain.projection import ContractHistory
from sla_ledger.domain.statement import TermsInForce
from sla_ledger.domain.terms import Contract
from sla_ledger.domain.time import month_of, to_us

_CACHE: dict[int, tuple[Contract, str]] = {}


def canonical_json(contract: Contract) -> bytes:
    """The canonical JSON of a contract's terms, UTF-8."""
    text = json.dumps(
        contract.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return text.encode()


def terms_hash(contract: Contract) -> str:
    """SHA-256 of the canonical JSON of a contract's terms, lowercase hexadecimal."""
    cached = _CACHE.get(id(contract))
    if cached is not None and cached[0] is contract:
        return cached[1]
    digest = hashlib.sha256(canonical_json(contract)).hexdigest()
    if len(_CACHE) > 4096:
        _CACHE.clear()
    _CACHE[id(contract)] = (contract, digest)  # the contract is kept, so its id stays its own
    return digest


def terms_in_force(history: ContractHistory, month: str, known_at: int) -> TermsInForce:
    """The version of a contract's terms that governs ``month`` (R13), as known at ``known_at``."""
    signed = history.signed
    version, since, terms = 1, month_of(to_us(signed.starts_at), signed.time_zone), signed
    for (recorded, effective, contract), number in zip(
        history.amendments, history.term_versions[1:], strict=True
    ):
        if recorded <= known_at and effective <= month:
            version, since, terms = number, effective, contract
    return TermsInForce(
        version=version,
        sha256=terms_hash(terms),
        since=since,
        amended_this_month=version > 1 and since == month,
    )
