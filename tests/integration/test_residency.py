"""Data residency: a ledger is bound to a region and refuses other regions' records."""

from __future__ import annotations

import io
import json
import multiprocessing
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import jsonschema
import pytest

from sla_ledger import (
    ContractLine,
    ImportFailed,
    InvalidTerms,
    ManualClock,
    ResidencyViolation,
    SlaLedger,
    UnknownReference,
    open_ledger,
)
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from sla_ledger.adapters.jsonl_lines import event_schema
from sla_ledger.domain.events import LEDGER_STREAM
from tests.integration.scenario import (
    APRIL,
    MAY,
    api_service,
    at,
    contract,
    record_month,
)

CREATED = datetime(2026, 3, 1, tzinfo=UTC)
AGREEMENT = "MSA-2026-17 §9.3"


def sqlite_url(tmp_path, name: str) -> str:
    return f"sqlite:///{tmp_path / name}.db"


def exported(ledger: SlaLedger) -> str:
    out = io.StringIO()
    export_jsonl(ledger, out)
    return out.getvalue()


def rows_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def text_of(rows: list[dict]) -> str:
    return "".join(json.dumps(row) + "\n" for row in rows)


def figures(ledger: SlaLedger):
    credits = [(c.kind, c.contract_id, c.line_id, c.month, c.amount) for c in ledger.credits()]
    return ledger.statements(), credits


def eu_april(url: str, *contract_ids: str) -> tuple[SlaLedger, ManualClock]:
    """A ledger bound to 'eu': one service, contracts, April probed with an outage, closed."""
    clock = ManualClock(CREATED)
    ledger = open_ledger(url, clock=clock, region="eu")
    ledger.register_service(api_service())
    for contract_id in contract_ids or ("acme",):
        ledger.sign_contract(contract(contract_id))
    record_month(ledger, APRIL, MAY, down=[(at(10, 12), at(10, 12, 45))])
    clock.set(datetime(2026, 5, 1, 2, tzinfo=UTC))
    ledger.close_due_months()
    return ledger, clock


def us_store(url: str) -> SlaLedger:
    return open_ledger(url, clock=ManualClock(datetime(2026, 6, 1, tzinfo=UTC)), region="us")


# -- binding -------------------------------------------------------------------------------


def test_a_store_created_with_a_region_is_bound_to_it_by_its_first_event(tmp_path):
    url = sqlite_url(tmp_path, "eu")
    ledger = open_ledger(url, clock=ManualClock(CREATED), region="eu")
    assert (ledger.region, ledger.position) == ("eu", 1)
    ledger.close()

    assert open_ledger(url).region == "eu", "the binding is stored, not a setting of the process"
    again = open_ledger(url, region="eu")
    assert (again.region, again.position) == ("eu", 1), "binding again to it records nothing"


def test_reopening_a_store_with_another_region_is_refused(tmp_path):
    url = sqlite_url(tmp_path, "eu")
    open_ledger(url, clock=ManualClock(CREATED), region="eu").close()
    with pytest.raises(ResidencyViolation, match=r"bound to region 'eu', not 'us'"):
        open_ledger(url, region="us")
    ledger = open_ledger(url)
    assert (ledger.region, ledger.position) == ("eu", 1)


def test_a_store_created_without_a_region_accepts_any_region_as_before(tmp_path):
    ledger = open_ledger(sqlite_url(tmp_path, "old"), clock=ManualClock(CREATED))
    ledger.register_service(api_service(region="us"))
    ledger.sign_contract(contract("acme"))  # region "eu"
    assert ledger.region is None
    assert [c.region for c in ledger.contracts()] == ["eu"]


def test_a_service_without_a_region_is_stored_as_before():
    assert "region" not in api_service().model_dump_json()
    assert '"region":"eu"' in api_service(region="eu").model_dump_json()


def test_a_region_name_follows_the_name_rule(tmp_path):
    with pytest.raises(InvalidTerms, match=r"region: 'e u' is not a valid name"):
        open_ledger(sqlite_url(tmp_path, "x"), region="e u")


def test_binding_an_existing_store_is_refused_while_it_holds_another_regions_contract(tmp_path):
    url = sqlite_url(tmp_path, "old")
    old = open_ledger(url, clock=ManualClock(CREATED))
    old.register_service(api_service())
    old.sign_contract(contract("acme"))  # region "eu"
    with pytest.raises(ResidencyViolation, match=r"to region 'us': contract 'acme' is for .*'eu'"):
        open_ledger(url, region="us")
    assert open_ledger(url).region is None
    assert open_ledger(url, region="eu").region == "eu"


# -- records of another region ---------------------------------------------------------------


@pytest.fixture
def eu(tmp_path):
    ledger = open_ledger(sqlite_url(tmp_path, "eu"), clock=ManualClock(CREATED), region="eu")
    ledger.register_service(api_service())
    yield ledger
    ledger.close()


def test_a_contract_of_another_region_is_refused_and_nothing_is_written(eu):
    before = eu.position
    with pytest.raises(ResidencyViolation) as refused:
        eu.sign_contract(contract("acme").model_copy(update={"region": "us"}))
    message = str(refused.value)
    assert "contract 'acme' is for region 'us'" in message
    assert "bound to region 'eu'" in message and "nothing was recorded" in message
    assert eu.position == before
    assert eu.contracts() == []


def test_a_service_of_another_region_is_refused_and_one_of_its_own_is_registered(eu):
    before = eu.position
    with pytest.raises(ResidencyViolation, match=r"service 'web' is for region 'us'.*'eu'"):
        eu.register_service(api_service(service_id="web", region="us"))
    assert eu.position == before
    eu.register_service(api_service(service_id="web", region="eu"))
    assert [s.service_id for s in eu.services()] == ["api", "web"]


def test_an_amendment_cannot_move_a_contract_to_another_region(eu):
    eu.sign_contract(contract("acme"))
    before = eu.position
    moved = contract("acme").model_copy(update={"region": "us", "customer": "ACME SE"})
    with pytest.raises(
        ResidencyViolation, match=r"amendment of contract 'acme' is for region 'us'"
    ):
        eu.amend_contract(moved)
    assert eu.position == before


def test_a_region_error_is_a_value_error_as_well():
    assert issubclass(ResidencyViolation, ValueError)


# -- transfers -------------------------------------------------------------------------------


def test_a_transfer_is_authorised_from_a_bound_ledger_only_and_names_its_agreement(eu):
    eu.sign_contract(contract("acme"))
    with pytest.raises(InvalidTerms, match="agreement"):
        eu.authorise_transfer("us", agreement=" ", authorised_by="DPO")
    with pytest.raises(InvalidTerms, match="another region"):
        eu.authorise_transfer("eu", agreement=AGREEMENT, authorised_by="DPO")
    with pytest.raises(UnknownReference, match="customer 'Initech'"):
        eu.authorise_transfer("us", agreement=AGREEMENT, authorised_by="DPO", customer="Initech")
    unbound = open_ledger("memory://")
    with pytest.raises(ResidencyViolation, match="bound to no region"):
        unbound.authorise_transfer("us", agreement=AGREEMENT, authorised_by="DPO")

    authorisation = eu.authorise_transfer("us", agreement=AGREEMENT, authorised_by="J. Doe, DPO")
    (recorded,) = eu.transfers()
    assert (recorded.authorisation_id, recorded.from_region, recorded.to_region) == (
        authorisation,
        "eu",
        "us",
    )
    assert (recorded.agreement, recorded.authorised_by, recorded.customer) == (
        AGREEMENT,
        "J. Doe, DPO",
        None,
    )


# -- exports and imports ---------------------------------------------------------------------


def test_an_export_carries_its_region_on_its_first_line(eu):
    rows = rows_of(exported(eu))
    assert rows[0]["type"] == "LedgerBound"
    assert (rows[0]["region"], rows[0]["originator_id"]) == ("eu", str(LEDGER_STREAM))
    eu.sign_contract(contract("acme"))
    eu.authorise_transfer("us", agreement=AGREEMENT, authorised_by="DPO")
    for row in rows_of(exported(eu)):
        jsonschema.validate(row, event_schema(row["type"]))


def test_an_export_imported_into_an_empty_store_binds_it_to_the_exports_region(eu):
    copy = open_ledger("memory://")
    import_jsonl(copy, io.StringIO(exported(eu)))
    assert copy.region == "eu"
    assert exported(copy) == exported(eu)


def test_import_into_a_store_of_another_region_is_refused_without_an_authorisation(tmp_path):
    source, _ = eu_april(sqlite_url(tmp_path, "eu"))
    target = us_store(sqlite_url(tmp_path, "us"))
    with pytest.raises(ImportFailed) as refused:
        import_jsonl(target, io.StringIO(exported(source)))
    message = str(refused.value)
    assert message.startswith("line 1: ")
    assert "region 'eu'" in message and "bound to region 'us'" in message
    assert "authorisation" in message and "nothing was imported" in message
    assert (target.region, target.position, target.contracts()) == ("us", 1, [])


def test_an_authorised_transfer_moves_the_records_and_every_figure_reproduces(tmp_path):
    source, clock = eu_april(sqlite_url(tmp_path, "eu"))
    clock.advance(timedelta(days=3))
    source.authorise_transfer("us", agreement=AGREEMENT, authorised_by="J. Doe, DPO")
    text = exported(source)

    target = us_store(sqlite_url(tmp_path, "us"))
    report = import_jsonl(target, io.StringIO(text))
    assert (report.lines, report.events) == (source.position, source.position - 1)
    assert target.region == "us", "the store keeps its binding; the file's is not recorded"
    assert figures(target) == figures(source)
    assert figures(source)[1], "the month had a credit to move"
    assert [(t.from_region, t.to_region, t.agreement) for t in target.transfers()] == [
        ("eu", "us", AGREEMENT)
    ]
    assert target.close_due_months() == [], "nothing moved is issued again"

    # The moved ledger exports with its own region, and that export imports as any other.
    moved = exported(target)
    assert rows_of(moved)[0]["region"] == "us"
    replica = open_ledger("memory://")
    import_jsonl(replica, io.StringIO(moved))
    assert (replica.region, figures(replica)) == ("us", figures(source))


def test_an_authorisation_for_one_customer_does_not_move_another_customers_contract(tmp_path):
    source, _ = eu_april(sqlite_url(tmp_path, "eu"), "acme", "globex")
    source.authorise_transfer("us", agreement=AGREEMENT, authorised_by="DPO", customer="ACME")
    target = us_store(sqlite_url(tmp_path, "us"))
    with pytest.raises(
        ImportFailed, match=r"contract 'globex' of customer 'GLOBEX' is not covered"
    ):
        import_jsonl(target, io.StringIO(exported(source)))
    assert target.position == 1

    source.authorise_transfer(
        "us", agreement="MSA-2025-03 §4", authorised_by="DPO", customer="GLOBEX"
    )
    import_jsonl(target, io.StringIO(exported(source)))
    assert figures(target) == figures(source)


def test_a_customers_own_export_moves_with_an_authorisation_for_that_customer(tmp_path):
    source, _ = eu_april(sqlite_url(tmp_path, "eu"), "acme", "globex")
    source.authorise_transfer("us", agreement=AGREEMENT, authorised_by="DPO", customer="ACME")
    source.authorise_transfer("apac", agreement="MSA-9 §1", authorised_by="DPO", customer="GLOBEX")
    share = io.StringIO()
    export_jsonl(source, share, customer="ACME")
    assert [r["customer"] for r in rows_of(share.getvalue()) if "to_region" in r] == ["ACME"]

    target = us_store(sqlite_url(tmp_path, "us"))
    import_jsonl(target, io.StringIO(share.getvalue()))
    assert [c.contract_id for c in target.contracts()] == ["acme"]
    assert target.statements() == source.statements("acme")


def test_a_file_whose_contract_names_another_region_than_its_binding_is_refused(eu):
    eu.sign_contract(contract("acme"))
    rows = rows_of(exported(eu))
    signed = next(i for i, row in enumerate(rows) if row["type"] == "ContractSigned")
    rows[signed]["contract"]["region"] = "us"
    target = open_ledger("memory://")
    with pytest.raises(ImportFailed) as refused:
        import_jsonl(target, io.StringIO(text_of(rows)))
    assert str(refused.value).startswith(
        f"line {signed + 1}: contract 'acme' is for region 'us', but line 1 binds this file "
        "to region 'eu'"
    )
    assert (target.position, target.region) == (0, None)


def test_an_unbound_export_imports_into_a_bound_store_only_with_records_of_its_region(tmp_path):
    old = open_ledger("memory://", clock=ManualClock(CREATED))
    old.register_service(api_service())
    old.sign_contract(contract("acme"))  # region "eu"
    with pytest.raises(
        ImportFailed, match=r"^line 2: contract 'acme' is for region 'eu', but this"
    ):
        import_jsonl(us_store("memory://"), io.StringIO(exported(old)))
    eu_store = open_ledger("memory://", clock=ManualClock(CREATED), region="eu")
    import_jsonl(eu_store, io.StringIO(exported(old)))
    assert [c.contract_id for c in eu_store.contracts()] == ["acme"]


def test_a_file_does_not_bind_a_store_that_holds_another_regions_contract(eu):
    old = open_ledger("memory://", clock=ManualClock(datetime(2026, 1, 1, tzinfo=UTC)))
    old.register_service(api_service(service_id="web"))
    line = ContractLine(line_id="core", service="web", monthly_fee=Decimal(1), currency="USD")
    old.sign_contract(contract("globex").model_copy(update={"region": "us", "lines": (line,)}))
    before = old.position
    with pytest.raises(ImportFailed, match=r"^line 1: this file binds the store to region 'eu', "):
        import_jsonl(old, io.StringIO(exported(eu)))
    assert (old.position, old.region) == (before, None)


def test_a_file_binds_once(eu):
    rows = rows_of(exported(eu))
    with pytest.raises(ImportFailed, match=r"^line 3: a second LedgerBound: line 1 binds"):
        import_jsonl(open_ledger("memory://"), io.StringIO(text_of([*rows, rows[0]])))


# -- concurrent creation ---------------------------------------------------------------------


def _bind(url: str, region: str, start, out) -> None:
    start.wait()
    try:
        ledger = open_ledger(url, clock=ManualClock(CREATED), region=region)
    except ResidencyViolation:
        out.put((region, None))
        return
    out.put((region, ledger.region))
    ledger.close()


def bind_concurrently(url: str) -> list[tuple[str, str | None]]:
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    regions = ["eu", "us"] * 3
    workers = [context.Process(target=_bind, args=(url, r, start, out)) for r in regions]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
        assert worker.exitcode == 0
    return [out.get(timeout=5) for _ in workers]


def assert_bound_once(url: str, results: list[tuple[str, str | None]]) -> None:
    ledger = open_ledger(url)
    winner = ledger.region
    assert winner in ("eu", "us")
    assert sorted(results) == sorted(
        (region, winner if region == winner else None) for region, _ in results
    ), "every process asking for the winning region opens it; the others are refused"
    topics = [n.topic for n in ledger.recorder.select_notifications(start=1, limit=100)]
    assert topics == ["LedgerBound"]
    ledger.close()


def test_processes_creating_one_sqlite_store_at_once_bind_it_once(tmp_path):
    url = sqlite_url(tmp_path, "new")
    assert_bound_once(url, bind_concurrently(url))


def test_processes_binding_one_postgresql_store_at_once_bind_it_once(fresh_postgres_url):
    open_ledger(fresh_postgres_url).close()  # the tables; creating them concurrently is not ours
    assert_bound_once(fresh_postgres_url, bind_concurrently(fresh_postgres_url))
    ledger = open_ledger(fresh_postgres_url)
    other = "us" if ledger.region == "eu" else "eu"
    with pytest.raises(ResidencyViolation):
        ledger.sign_contract(contract("acme").model_copy(update={"region": other}))
    ledger.close()
