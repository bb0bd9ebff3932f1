"""An export imported into an empty store reproduces the ledger exactly.

Hypothesis builds small ledgers through the public API: a generated scenario
(``strategies.cases``, replayed by ``ledger_driver.replay``: customer ACME's
contract on ``api``, evidence that also names ``web``), a second customer on
``web`` (and sometimes on ``api`` too) with probes of its own, months closed,
then late evidence and another close, so that statements are restated and
credits adjusted. Then:

- the JSON Lines export imported into an empty SQLite file gives the same
  statement versions, response statements and credits, and exports to the same
  bytes; once per run,
  a few examples go through PostgreSQL as well;
- ACME's share (``export_jsonl(..., customer="ACME")``) imported into an empty
  store recomputes every version of every ACME statement, and names nothing of
  the other customer (whose contract has a support tier and a case missed in
  the month, so that response statements and credits are in the log).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import event, given, note, settings
from hypothesis import strategies as st

from sla_ledger import (
    Contract,
    ContractLine,
    ManualClock,
    Probe,
    ResponseTarget,
    SupportTier,
    open_ledger,
)
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from sla_ledger.testing import probe_batches
from tests.property.brute_force import ServiceSpec, month_bounds
from tests.property.ledger_driver import describe_case, replay, to_probe, to_service
from tests.property.strategies import EPOCH, OTHER_SERVICE, Case, cases

OTHER_CUSTOMER, OTHER_CONTRACT = "Globex", "globex-7"
MINUTE = timedelta(minutes=1)
TIER = SupportTier(
    name="gold",
    targets=(
        ResponseTarget(
            severity="sev1", first_response=timedelta(hours=1), first_response_credit=Decimal(5)
        ),
    ),
)


@dataclass(frozen=True)
class History:
    case: Case
    shares_api: bool  # the other customer measures api as well as web
    web_probes: tuple[Probe, ...]
    late_incident: bool
    late_correction: bool


@st.composite
def histories(draw) -> History:
    case = draw(cases())
    svc = case.scenario.service
    web = to_service(ServiceSpec(OTHER_SERVICE, svc.locations, svc.probe_interval))
    probes = draw(probe_batches(web, case.focus[0], periods=12))
    return History(
        case,
        shares_api=draw(st.booleans()),
        web_probes=tuple(probes),
        late_incident=draw(st.booleans()),
        late_correction=draw(st.booleans()),
    )


def build(history: History):
    """A memory ledger: the replayed case, a second customer, closes before and after late news."""
    case = history.case
    ledger, clock = replay(case)
    contract = case.scenario.contract
    lines = [
        ContractLine(
            line_id="web",
            service=OTHER_SERVICE,
            monthly_fee=contract.monthly_fee,
            currency=contract.currency,
        )
    ]
    if history.shares_api:
        lines.append(
            ContractLine(
                line_id="api",
                service="api",
                monthly_fee=contract.monthly_fee,
                currency=contract.currency,
            )
        )
    ledger.sign_contract(
        Contract(
            contract_id=OTHER_CONTRACT,
            customer=OTHER_CUSTOMER,
            region="eu",
            time_zone=contract.time_zone,
            starts_at=contract.starts_at,
            lines=tuple(lines),
            support=TIER,
            unknown_counts_as="available",  # so that the cap leaves room for response credits
        )
    )
    m0, m1 = (
        EPOCH + timedelta(microseconds=us) for us in month_bounds(contract.time_zone, case.month)
    )
    opened = max(m0, contract.starts_at) + timedelta(minutes=1)
    if opened < min(m1, clock.now()):  # a case never answered: its first response missed
        ledger.open_case(OTHER_CONTRACT, "sev1", opened_at=opened, subject="no answer")
    if history.web_probes:
        latest = max(p.at for p in history.web_probes)
        clock.set(max(clock.now(), latest + MINUTE))
        ledger.record_probes(history.web_probes)
    clock.advance(2 * timedelta(hours=1))
    ledger.close_due_months()
    clock.advance(MINUTE)
    if history.late_incident:  # an hour in the middle of the contract's part of the month
        m0, m1 = (
            EPOCH + timedelta(microseconds=us)
            for us in month_bounds(contract.time_zone, case.month)
        )
        lo, hi = max(m0, contract.starts_at), min(m1, contract.ends_at or m1)
        start = lo + (hi - lo) / 2
        ledger.declare_incident(["api", OTHER_SERVICE], start, start + 60 * MINUTE, "late")
    if history.late_correction:
        api = [p for p in case.scenario.probes if p.key not in case.scenario.invalidated][:1]
        dead = [to_probe(p) for p in api] + list(history.web_probes[:1])
        if dead:
            ledger.invalidate_probes(dead, "probe host fault")
    clock.advance(MINUTE)
    ledger.close_due_months()
    return ledger, clock


def exported(ledger, **scope) -> str:
    out = io.StringIO()
    export_jsonl(ledger, out, **scope)
    return out.getvalue()


def statement_versions(ledger):
    return {key: h.versions for key, h in ledger.catch_up().statements.items()}


def credits(ledger):
    return ledger.credits(limit=100_000)


def check_round_trip(a, text: str, url: str) -> None:
    b = open_ledger(url)
    try:
        import_jsonl(b, io.StringIO(text))
        assert statement_versions(b) == statement_versions(a)
        assert b.response_statements() == a.response_statements()
        assert credits(b) == credits(a)
        assert exported(b) == text, "the re-export is byte for byte the export"
    finally:
        b.close()


@given(histories())
def test_an_export_imported_into_an_empty_sqlite_file_reproduces_the_ledger(history):
    note(describe_case(history.case))
    a, clock = build(history)
    text = exported(a)
    _classify(a)
    with tempfile.TemporaryDirectory() as directory:
        check_round_trip(a, text, f"sqlite:///{Path(directory) / 'copy.db'}")

    share = exported(a, customer="ACME")
    c = open_ledger("memory://", clock=ManualClock(clock.now()))
    import_jsonl(c, io.StringIO(share))
    issued = {k: v for k, v in statement_versions(a).items() if k[0] == "c1"}
    assert statement_versions(c) == issued
    for (contract_id, line, month), versions in issued.items():
        for version in versions:
            # As known at an instant, the share says what the whole ledger says. (A version
            # itself can differ from that when evidence was recorded at the very instant it
            # was issued, after it in the log: "as known at" is by instant, not position.)
            then = version.known_at
            whole = a.compute_statement(contract_id, line, month, as_known_at=then)
            again = c.compute_statement(contract_id, line, month, as_known_at=then)
            assert again.figures() == whole.figures(), (line, month, version.version)
        assert c.compute_statement(contract_id, line, month).figures() == versions[-1].figures()
    assert [(x.contract_id, x.amount) for x in credits(c)] == [
        (x.contract_id, x.amount) for x in credits(a) if x.contract_id == "c1"
    ]
    for word in (OTHER_CUSTOMER, OTHER_CONTRACT):
        assert word not in share
    assert f'"{OTHER_SERVICE}' not in share, "nothing of the other customer's private service"


def _classify(ledger) -> None:
    versions = [s.version for s in ledger.statements()]
    event(
        f"statements: {'none' if not versions else 'restated' if max(versions) > 1 else 'issued'}"
    )
    event(f"response statements: {'some' if ledger.response_statements() else 'none'}")
    kinds = {c.kind for c in credits(ledger)}
    event(f"credits: {', '.join(sorted(kinds)) or 'none'}")


@settings(max_examples=3)
@given(histories())
def test_an_export_imported_into_an_empty_postgresql_database_reproduces_the_ledger(
    postgres_databases, history
):
    note(describe_case(history.case))
    a, _ = build(history)
    with postgres_databases() as url:
        check_round_trip(a, exported(a), url)
