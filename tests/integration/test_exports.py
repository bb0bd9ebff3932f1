"""Exports beyond the full JSON Lines file: a customer's share, CSV, Parquet, handover bundles."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sla_ledger import ManualClock, Statement, UnknownReference, open_ledger
from sla_ledger.adapters.csv_export import (
    CREDIT_COLUMNS,
    STATEMENT_COLUMNS,
    export_csv,
    statement_row,
)
from sla_ledger.adapters.handover import schema_files, write_handover
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from sla_ledger.adapters.scope import LEDGER_LEVEL_TYPES, SCOPED_TYPES
from sla_ledger.domain.events import EVENT_TYPES
from sla_ledger.domain.time import from_us
from tests.integration.two_customers import (
    ACME,
    ACME_CONTRACT,
    GLOBEX,
    GLOBEX_CONTRACT,
    build,
)

ROOT = Path(__file__).resolve().parents[2]
DECIMAL = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    ledger, clock = build(f"sqlite:///{tmp_path_factory.mktemp('a') / 'a.db'}")
    yield ledger, clock
    ledger.close()


def exported(ledger, **scope) -> str:
    out = io.StringIO()
    export_jsonl(ledger, out, **scope)
    return out.getvalue()


@pytest.fixture(scope="module")
def acme_share(original) -> str:
    return exported(original[0], customer=ACME)


def rows_of(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def versions(ledger, contract_id: str):
    """Every version of every statement of a contract, by (line, month)."""
    return {
        (line, month): history.versions
        for (contract, line, month), history in ledger.catch_up().statements.items()
        if contract == contract_id
    }


def credits_of(ledger, contract_id: str):
    return [
        (c.kind, c.line_id, c.month, c.amount, c.currency, c.statement_version, c.recorded_at)
        for c in ledger.credits()
        if c.contract_id == contract_id
    ]


def imported(text: str, tmp_path: Path, clock: ManualClock, name: str = "b.db"):
    ledger = open_ledger(f"sqlite:///{tmp_path / name}", clock=ManualClock(clock.now()))
    import_jsonl(ledger, io.StringIO(text))
    return ledger


# -- a customer's share ---------------------------------------------------------------------


def test_every_event_type_is_either_scoped_by_a_rule_or_ledger_level():
    unclassified = set(EVENT_TYPES) - SCOPED_TYPES - LEDGER_LEVEL_TYPES
    assert not unclassified, (
        f"decide what a customer's share keeps of {sorted(unclassified)}: "
        "a rule in sla_ledger.adapters.scope.CustomerFilter, or LEDGER_LEVEL_TYPES"
    )


def test_the_scenario_has_statements_restated_for_both_customers(original):
    ledger = original[0]
    assert {(s.contract_id, s.line_id, s.version) for s in ledger.statements()} == {
        (ACME_CONTRACT, "core", 2),
        (ACME_CONTRACT, "extra", 2),
        (GLOBEX_CONTRACT, "core", 2),
        (GLOBEX_CONTRACT, "own", 2),
    }


def test_a_customers_share_recomputes_every_one_of_their_statements(original, acme_share, tmp_path):
    a, clock = original
    b = imported(acme_share, tmp_path, clock)
    issued = versions(a, ACME_CONTRACT)
    assert set(issued) == {("core", "2026-04"), ("extra", "2026-04")}
    for (line, month), history in issued.items():
        latest = b.compute_statement(ACME_CONTRACT, line, month)
        assert latest.figures() == history[-1].figures()
        for version in history:  # each version, as known when it was issued
            known = b.compute_statement(ACME_CONTRACT, line, month, as_known_at=version.known_at)
            assert known.figures() == version.figures(), (line, month, version.version)
    assert versions(b, ACME_CONTRACT) == issued, "the issued statements come along as they were"
    assert credits_of(b, ACME_CONTRACT) == credits_of(a, ACME_CONTRACT)
    assert b.statements(GLOBEX_CONTRACT) == []


def test_a_customers_share_holds_nothing_about_another_customer(acme_share):
    lowered = acme_share.lower()
    for word in (GLOBEX_CONTRACT, "globex", "private"):
        assert word not in lowered, word
    for row in rows_of(acme_share):
        if row["type"] == "ServiceRegistered":
            assert row["service"]["service_id"] in {"shared", "solo"}
        for series in row.get("series", ()):
            assert series["target"].split("/")[0] in {"shared", "solo"}
        for probe_id in row.get("probe_ids", ()):
            assert probe_id.split("@")[0].split("/")[0] in {"shared", "solo"}
        assert set(row.get("services", ())) <= {"shared", "solo"}


def test_a_customers_share_keeps_events_whole_or_reduced_with_their_ids(original, acme_share):
    full = {
        (r["originator_id"], r["originator_version"]): r for r in rows_of(exported(original[0]))
    }
    share = rows_of(acme_share)
    reduced = []
    for row in share:
        whole = full[(row["originator_id"], row["originator_version"])]
        assert (row["type"], row["recorded_at"]) == (whole["type"], whole["recorded_at"])
        if row != whole:
            reduced.append(row["type"])
    assert sorted(set(reduced)) == [
        "IncidentDeclared",
        "MaintenanceAnnounced",
        "ProbesInvalidated",
        "ProbesRecorded",
    ]
    by_type = {}
    for row in share:
        by_type.setdefault(row["type"], []).append(row)
    incidents = [(r["services"], r["reason"]) for r in by_type["IncidentDeclared"]]
    assert incidents == [(["shared"], "outage"), (["shared", "solo"], "late report")]
    assert len(by_type["IncidentResolved"]) == 1, "the private incident's resolution is left out"
    assert [r["services"] for r in by_type["MaintenanceAnnounced"]] == [["solo"]]
    assert len(by_type["MaintenanceRescheduled"]) == 1
    assert "MaintenanceCancelled" not in by_type
    assert [r["probe_ids"] for r in by_type["ProbesInvalidated"]] == [
        ["shared@fra@2026-04-04T10:00:07Z#down"]
    ]
    all_batches = sum(1 for r in full.values() if r["type"] == "ProbesRecorded")
    assert len(by_type["ProbesRecorded"]) == all_batches - 1, "the private batch is left out"
    assert [r["contract"]["contract_id"] for r in by_type["ContractSigned"]] == [ACME_CONTRACT]
    assert "ContractAmended" not in by_type
    assert len(by_type["ContractTerminationNoticed"]) == 1


def test_a_customers_share_from_postgres_recomputes_their_statements_and_only_theirs(
    fresh_postgres_url, tmp_path
):
    a, clock = build(fresh_postgres_url)
    share = exported(a, customer=ACME)
    test_a_customers_share_holds_nothing_about_another_customer(share)
    b = imported(share, tmp_path, clock)
    issued = versions(a, ACME_CONTRACT)
    assert issued and versions(b, ACME_CONTRACT) == issued
    for line, month in issued:
        recomputed = b.compute_statement(ACME_CONTRACT, line, month)
        assert recomputed.figures() == issued[(line, month)][-1].figures()
    assert credits_of(b, ACME_CONTRACT) == credits_of(a, ACME_CONTRACT)
    a.close()
    b.close()


def test_a_customer_renamed_by_an_amendment_is_found_by_either_name(original):
    for name in (GLOBEX, "Globex Corporation"):
        share = exported(original[0], customer=name)
        contracts = {r["contract"]["contract_id"] for r in rows_of(share) if "contract" in r}
        assert contracts == {GLOBEX_CONTRACT}
        assert ACME not in share and ACME_CONTRACT not in share and '"solo"' not in share


def test_a_customer_without_a_contract_is_refused_and_no_file_is_written(original, tmp_path):
    path = tmp_path / "nobody.jsonl"
    with pytest.raises(UnknownReference, match=r"no contract names customer 'Nobody'.*ACME"):
        export_jsonl(original[0], path, customer="Nobody")
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def bound(tmp_path):
    """The two customers in a ledger bound to region eu, with transfers authorised to us."""
    clock = ManualClock(datetime(2026, 3, 20, tzinfo=UTC))
    open_ledger(f"sqlite:///{tmp_path / 'bound.db'}", clock=clock, region="eu").close()
    ledger, clock = build(f"sqlite:///{tmp_path / 'bound.db'}", clock)
    ledger.authorise_transfer("us", "MSA-1 9.3", "DPO", customer=ACME)
    ledger.authorise_transfer("us", "MSA-2 9.3", "DPO", customer=GLOBEX)
    ledger.authorise_transfer("ch", "Group move", "Board")
    return ledger, clock


def test_a_customers_share_keeps_the_region_binding_and_their_transfers(bound, tmp_path):
    ledger, clock = bound
    share = rows_of(exported(ledger, customer=ACME))
    assert share[0]["type"] == "LedgerBound"
    transfers = [r for r in share if r["type"] == "RegionTransferAuthorised"]
    assert [(t["to_region"], t["customer"]) for t in transfers] == [("us", ACME), ("ch", None)]
    copy = imported("".join(json.dumps(r) + "\n" for r in share), tmp_path, clock, "copy.db")
    assert copy.statements() == ledger.statements(ACME_CONTRACT)


def test_a_customers_share_moves_to_the_region_their_transfer_allows(bound, tmp_path):
    ledger, clock = bound
    us = open_ledger(f"sqlite:///{tmp_path / 'us.db'}", clock=ManualClock(clock.now()), region="us")
    import_jsonl(us, io.StringIO(exported(ledger, customer=ACME)))
    assert us.region == "us"
    assert versions(us, ACME_CONTRACT) == versions(ledger, ACME_CONTRACT)


# -- CSV --------------------------------------------------------------------------------------


def statements_in_log_order(ledger, contract_id: str | None = None) -> list[Statement]:
    """Every statement version, as the log holds them."""
    out = []
    for row in rows_of(exported(ledger)):
        if row["type"] in ("StatementIssued", "StatementRestated"):
            statement = Statement.model_validate(row["statement"])
            if contract_id in (None, statement.contract_id):
                out.append(statement)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_statements_csv_has_a_row_per_statement_version_with_exact_values(original, tmp_path):
    ledger = original[0]
    report = export_csv(ledger, tmp_path)
    rows = read_csv(tmp_path / "statements.csv")
    with (tmp_path / "statements.csv").open(newline="") as stream:
        assert tuple(next(csv.reader(stream))) == STATEMENT_COLUMNS
    issued = statements_in_log_order(ledger)
    assert report.statements == len(rows) == len(issued) == 8
    for row, statement in zip(rows, issued, strict=True):
        assert list(row.values()) == statement_row(statement)
        assert (row["contract_id"], row["line_id"], row["month"], int(row["version"])) == (
            statement.contract_id,
            statement.line_id,
            statement.month,
            statement.version,
        )
        for column in ("month_length", "active", "excluded", "eligible", "down", "unknown"):
            seconds = Decimal(row[column])
            assert timedelta(microseconds=int(seconds * 1_000_000)) == getattr(statement, column)
        for column in ("target", "credit_percent", "base", "credit"):
            assert DECIMAL.match(row[column]), (column, row[column])
            assert Decimal(row[column]) == getattr(statement, column)
        assert Fraction(row["availability"]) == statement.availability
        assert row["availability_percent"] == statement.availability_percent
        assert row["met"] == ("true" if statement.met else "false")
        assert row["period_start"].endswith("Z") and row["known_at"].endswith("Z")
        assert int(row["log_position"]) == statement.log_position


def test_credits_csv_is_the_credits_feed(original, tmp_path):
    ledger = original[0]
    report = export_csv(ledger, tmp_path)
    rows = read_csv(tmp_path / "credits.csv")
    assert tuple(rows[0]) == CREDIT_COLUMNS
    feed = ledger.credits()
    assert report.credits == len(rows) == len(feed) >= 5
    assert {c.kind for c in feed} == {"CreditIssued", "CreditAdjusted"}
    for row, credit in zip(rows, feed, strict=True):
        assert int(row["position"]) == credit.position
        assert (row["kind"], row["contract_id"], row["line_id"], row["month"]) == (
            credit.kind,
            credit.contract_id,
            credit.line_id,
            credit.month,
        )
        assert DECIMAL.match(row["amount"]) and Decimal(row["amount"]) == credit.amount
        assert row["amount"] == str(credit.amount), "in the currency's minor unit"
        assert int(row["statement_version"]) == credit.statement_version
        assert row["recorded_at"] == credit.recorded_at.isoformat().replace("+00:00", "Z")


def test_csv_for_a_customer_holds_only_their_contracts(original, tmp_path):
    report = export_csv(original[0], tmp_path, customer=ACME)
    statements = read_csv(tmp_path / "statements.csv")
    credits = read_csv(tmp_path / "credits.csv")
    assert {r["contract_id"] for r in statements} == {r["contract_id"] for r in credits}
    assert {r["contract_id"] for r in statements} == {ACME_CONTRACT}
    assert (report.statements, report.credits) == (len(statements), len(credits)) == (4, 4)


# -- Parquet ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parquet():
    pq = pytest.importorskip(
        "pyarrow.parquet", reason="pyarrow is not installed: pip install 'sla-ledger[parquet]'"
    )
    return pq


def flat_probes(text: str) -> list[tuple]:
    out = []
    for row in rows_of(text):
        for s in row.get("series", ()) if row["type"] == "ProbesRecorded" else ():
            latency = s["latency"] or [None] * len(s["at"])
            for when, ok, seconds in zip(s["at"], s["ok"], latency, strict=True):
                us = None if seconds is None else int(Decimal(seconds) * 1_000_000)
                out.append((row["originator_id"], s["target"], s["location"], when, ok, us))
    return out


def parquet_probes(table) -> list[tuple]:
    return [
        (
            r["originator_id"],
            r["target"],
            r["location"],
            _rfc3339(r["at"]),
            r["ok"],
            r["latency_us"],
        )
        for r in table.to_pylist()
    ]


def _rfc3339(instant) -> str:
    text = instant.isoformat().replace("+00:00", "Z")
    return text.replace(".000000Z", "Z")


def test_parquet_holds_every_event_and_every_probe_in_log_order(parquet, original, tmp_path):
    from sla_ledger.adapters.parquet_export import export_parquet

    ledger = original[0]
    seen = []
    report = export_parquet(ledger, tmp_path, on_progress=seen.append)
    events = parquet.read_table(tmp_path / "events.parquet")
    probes = parquet.read_table(tmp_path / "probes.parquet")
    assert str(events.schema.field("recorded_at").type) == "timestamp[us, tz=UTC]"
    assert str(probes.schema.field("at").type) == "timestamp[us, tz=UTC]"
    assert str(probes.schema.field("latency_us").type) == "int64"
    assert report.events == events.num_rows == ledger.position == seen[-1]

    text = exported(ledger)
    assert "".join(p + "\n" for p in events.column("payload").to_pylist()) == text
    assert events.column("position").to_pylist() == list(range(1, ledger.position + 1))
    rows = rows_of(text)
    assert events.column("type").to_pylist() == [r["type"] for r in rows]
    assert events.column("originator_id").to_pylist() == [r["originator_id"] for r in rows]
    assert events.column("originator_version").to_pylist() == [
        r["originator_version"] for r in rows
    ]
    assert events.column("schema_version").to_pylist() == [r["schema_version"] for r in rows]
    assert [_rfc3339(t) for t in events.column("recorded_at").to_pylist()] == [
        r["recorded_at"] for r in rows
    ]

    expected = flat_probes(text)
    assert report.probes == probes.num_rows == len(expected)
    assert parquet_probes(probes) == expected
    assert probes.column("latency_us").null_count > 0
    assert not list(tmp_path.glob("*.partial"))


def test_parquet_is_written_in_row_groups_of_bounded_size(parquet, original, tmp_path):
    from sla_ledger.adapters.parquet_export import export_parquet

    export_parquet(original[0], tmp_path, event_group_rows=7, probe_group_rows=1000)
    events = parquet.ParquetFile(tmp_path / "events.parquet")
    probes = parquet.ParquetFile(tmp_path / "probes.parquet")
    assert events.metadata.num_row_groups == -(-events.metadata.num_rows // 7)
    assert probes.metadata.num_row_groups == -(-probes.metadata.num_rows // 1000)
    sizes = [probes.metadata.row_group(i).num_rows for i in range(probes.num_row_groups)]
    assert max(sizes) == 1000
    assert parquet_probes(probes.read()) == flat_probes(exported(original[0]))


def test_parquet_for_a_customer_is_their_share(parquet, original, acme_share, tmp_path):
    from sla_ledger.adapters.parquet_export import export_parquet

    export_parquet(original[0], tmp_path, customer=ACME)
    events = parquet.read_table(tmp_path / "events.parquet")
    probes = parquet.read_table(tmp_path / "probes.parquet")
    assert "".join(p + "\n" for p in events.column("payload").to_pylist()) == acme_share
    assert parquet_probes(probes) == flat_probes(acme_share)


# -- handover ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundle(original, tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("handover") / "acme"
    report = write_handover(original[0], ACME_CONTRACT, directory)
    assert (report.customer, report.contract_id, report.statements, report.credits) == (
        ACME,
        ACME_CONTRACT,
        4,
        4,
    )
    return directory


def test_a_handover_bundle_holds_the_customers_export_schemas_figures_and_a_readme(
    bundle, acme_share
):
    assert sorted(p.name for p in bundle.iterdir()) == [
        "README.md",
        "credits.csv",
        "export.jsonl",
        "responses.csv",
        "schema",
        "statements.csv",
    ]
    assert (bundle / "export.jsonl").read_text() == acme_share
    published = {p.name: p.read_text() for p in (ROOT / "docs" / "schema").glob("*.json")}
    assert {p.name: p.read_text() for p in (bundle / "schema").iterdir()} == published
    assert not list(bundle.parent.glob("*.partial"))


def test_a_handover_export_reimports_and_reproduces_the_contracts_statements(
    original, bundle, tmp_path
):
    a, clock = original
    b = open_ledger(f"sqlite:///{tmp_path / 'check.db'}", clock=ManualClock(clock.now()))
    import_jsonl(b, bundle / "export.jsonl")
    issued = versions(a, ACME_CONTRACT)
    assert versions(b, ACME_CONTRACT) == issued
    for (line, month), history in issued.items():
        for version in history:
            computed = b.compute_statement(ACME_CONTRACT, line, month, as_known_at=version.known_at)
            assert computed.figures() == version.figures()
    assert credits_of(b, ACME_CONTRACT) == credits_of(a, ACME_CONTRACT)


def test_a_handover_csvs_match_the_contracts_statements_and_credits(original, bundle):
    ledger = original[0]
    statements = read_csv(bundle / "statements.csv")
    issued = statements_in_log_order(ledger, ACME_CONTRACT)
    assert len(issued) == 4
    assert [list(r.values()) for r in statements] == [statement_row(s) for s in issued]
    credits = read_csv(bundle / "credits.csv")
    feed = [c for c in ledger.credits() if c.contract_id == ACME_CONTRACT]
    assert [(int(r["position"]), Decimal(r["amount"])) for r in credits] == [
        (c.position, c.amount) for c in feed
    ]


def test_a_handover_readme_explains_the_files_and_how_to_recompute(original, bundle):
    readme = (bundle / "README.md").read_text()
    _, ends_at = original[0].catch_up().contracts[ACME_CONTRACT].termination
    assert "$" not in readme, "every placeholder is filled"
    assert f"# Handover: contract {ACME_CONTRACT} of {ACME}" in readme
    shown = from_us(ends_at).astimezone(ZoneInfo("Europe/Berlin")).isoformat()
    assert f"Contract {ACME_CONTRACT} ends at {shown} (notice given)." in readme
    for text in (
        "pip install sla-ledger",
        "sla-ledger --url sqlite:///check.db import export.jsonl",
        f"sla-ledger --url sqlite:///check.db statement --contract {ACME_CONTRACT} --month 2026-04",
        "docs/rules.md",
        "statements.csv",
        "credits.csv",
        "schema/",
    ):
        assert text in readme, text
    assert "globex" not in readme.lower()


def test_a_contract_without_notice_is_handed_over_too(original, tmp_path):
    report = write_handover(original[0], GLOBEX_CONTRACT, tmp_path / "globex")
    readme = (tmp_path / "globex" / "README.md").read_text()
    assert report.customer == "Globex Corporation"
    assert f"Contract {GLOBEX_CONTRACT} has no termination notice" in readme
    assert ACME not in (tmp_path / "globex" / "export.jsonl").read_text()


def test_a_handover_refuses_a_directory_in_use_and_an_unknown_contract(original, tmp_path):
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError):
        write_handover(original[0], ACME_CONTRACT, used)
    assert [p.name for p in used.iterdir()] == ["keep.txt"]
    with pytest.raises(UnknownReference, match="unknown contract 'nope'"):
        write_handover(original[0], "nope", tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["used"]
    empty = tmp_path / "empty"
    empty.mkdir()
    write_handover(original[0], ACME_CONTRACT, empty)
    assert (empty / "README.md").is_file()


# -- shipped schemas ------------------------------------------------------------------------------


def test_the_package_ships_the_published_schemas():
    published = {p.name: p.read_text() for p in (ROOT / "docs" / "schema").glob("*.json")}
    assert schema_files() == published, "run: .venv/bin/python scripts/gen_schemas.py"
