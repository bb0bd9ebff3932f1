"""The open interchange format: export, import, refusals, and the published JSON Schemas."""

from __future__ import annotations

import copy
import importlib.util
import io
import json
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from eventsourcing.persistence import PersistenceError

from sla_ledger import (
    ImportFailed,
    ManualClock,
    Probe,
    open_ledger,
)
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from sla_ledger.adapters.jsonl_lines import (
    Refused,
    event_schema,
    format_seconds,
    from_interchange,
    parse_instant,
)
from sla_ledger.adapters.probe_index import series_key
from sla_ledger.domain.events import EVENT_TYPES, stream_id
from tests.integration.history import at, build_history, day_of_probes

ROOT = Path(__file__).resolve().parents[2]


def exported(ledger) -> str:
    out = io.StringIO()
    export_jsonl(ledger, out)
    return out.getvalue()


def figures(ledger):
    credits = [
        (c.kind, c.contract_id, c.line_id, c.month, c.amount, c.currency, c.statement_version)
        for c in ledger.credits()
    ]
    return ledger.statements(), credits


def stored_log(ledger):
    return [
        (n.topic, n.originator_id, n.originator_version, n.state)
        for n in ledger.recorder.select_notifications(start=1, limit=10_000)
    ]


def write(path: Path, rows) -> Path:
    path.write_text(
        "".join((row if isinstance(row, str) else json.dumps(row)) + "\n" for row in rows)
    )
    return path


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    ledger, clock = build_history(f"sqlite:///{tmp_path_factory.mktemp('a') / 'a.db'}")
    yield ledger, clock
    ledger.close()


@pytest.fixture(scope="module")
def rows(original):
    return [json.loads(line) for line in exported(original[0]).splitlines()]


def test_the_scenario_has_every_kind_of_event(rows, original):
    # An unbound ledger: the residency events are exported and imported in test_residency.py.
    residency = {"LedgerBound", "RegionTransferAuthorised"}
    assert {row["type"] for row in rows} == set(EVENT_TYPES) - residency
    assert [s.version for s in original[0].statements()] == [1, 2, 1]


# -- round trips ------------------------------------------------------------------------------


def test_an_export_imported_into_an_empty_store_reproduces_every_statement_and_credit(
    original, tmp_path
):
    a = original[0]
    path = tmp_path / "a.jsonl"
    assert export_jsonl(a, path) == a.position
    b = open_ledger(f"sqlite:///{tmp_path / 'b.db'}")
    report = import_jsonl(b, path)
    assert (report.lines, report.events) == (a.position, a.position)
    assert report.probes == sum(
        len(s["at"])
        for row in map(json.loads, path.read_text().splitlines())
        if row["type"] == "ProbesRecorded"
        for s in row["series"]
    )
    assert figures(b) == figures(a)
    assert [c.position for c in b.credits()] == [c.position for c in a.credits()]
    assert stored_log(b) == stored_log(a), "an import restores the stored events byte for byte"
    assert exported(b) == exported(a)


def test_importing_a_file_again_says_it_was_imported_before_and_writes_nothing(
    original, new_store, tmp_path
):
    # What an operator does who cannot tell whether a killed import had committed.
    path = tmp_path / "a.jsonl"
    export_jsonl(original[0], path)
    ledger = open_ledger(new_store())
    try:
        import_jsonl(ledger, path)
        position, before = ledger.position, exported(ledger)
        with pytest.raises(
            ImportFailed,
            match=r"^line 1: this ServiceRegistered is in the store already, at log position 1: "
            r"the file was imported before \(or exported from this store\); nothing was imported$",
        ):
            import_jsonl(ledger, path)
        assert (ledger.position, exported(ledger)) == (position, before)
    finally:
        ledger.close()


def test_a_round_trip_through_postgresql_reproduces_the_ledger(
    original, fresh_postgres_url, tmp_path
):
    a = original[0]
    first, second = tmp_path / "a.jsonl", tmp_path / "pg.jsonl"
    export_jsonl(a, first)
    pg = open_ledger(fresh_postgres_url)
    try:
        import_jsonl(pg, first)
        assert figures(pg) == figures(a)
        export_jsonl(pg, second)
    finally:
        pg.close()
    assert second.read_text() == first.read_text()
    c = open_ledger(f"sqlite:///{tmp_path / 'c.db'}")
    import_jsonl(c, second)
    assert figures(c) == figures(a)
    assert stored_log(c) == stored_log(a)


def test_imported_probes_are_indexed_so_sending_one_again_records_nothing(original, tmp_path):
    b = open_ledger(
        f"sqlite:///{tmp_path / 'b.db'}", clock=ManualClock(datetime(2026, 6, 1, tzinfo=UTC))
    )
    import_jsonl(b, io.StringIO(exported(original[0])))
    receipt = b.record_probes(day_of_probes(3))
    assert (receipt.recorded, receipt.duplicates) == (0, len(day_of_probes(3)))


def test_an_imported_ledger_goes_on_closing_months_like_the_original(tmp_path):
    a, clock_a = build_history(f"sqlite:///{tmp_path / 'a.db'}")
    clock_b = ManualClock(clock_a.now())
    b = open_ledger(f"sqlite:///{tmp_path / 'b.db'}", clock=clock_b)
    import_jsonl(b, io.StringIO(exported(a)))
    for ledger, clock in ((a, clock_a), (b, clock_b)):
        clock.set(datetime(2026, 5, 3, tzinfo=UTC))
        ledger.record_probes([Probe("api", "fra", at(25, 12), False)])
        ledger.declare_incident(["api"], at(25, 12), at(25, 20), "found in the logs")
        clock.set(datetime(2026, 6, 2, tzinfo=UTC))
        ledger.close_due_months()
    statements_a, credits_a = figures(a)
    statements_b, credits_b = figures(b)
    assert credits_b == credits_a
    assert [(s.month, s.version) for s in statements_b] == [
        (s.month, s.version) for s in statements_a
    ]
    assert {s.month for s in statements_a} == {"2026-04", "2026-05"}
    # The new evidence has new random stream ids, so only the references to it differ,
    # and the roots of the logs that now hold it.
    unlike_ids = {"changed_by": {"__all__": {"originator_id"}}, "log_digest": {"root"}}
    assert [s.model_dump(exclude=unlike_ids) for s in statements_b] == [
        s.model_dump(exclude=unlike_ids) for s in statements_a
    ]


def test_a_file_imported_in_two_parts_equals_the_file_imported_whole(original, rows, tmp_path):
    b = open_ledger(f"sqlite:///{tmp_path / 'b.db'}")
    middle = len(rows) // 2
    import_jsonl(b, write(tmp_path / "1.jsonl", rows[:middle]))
    import_jsonl(b, write(tmp_path / "2.jsonl", rows[middle:]))
    assert exported(b) == exported(original[0])
    assert figures(b) == figures(original[0])


def test_export_reports_progress_and_writes_a_path_whole(original, tmp_path):
    seen = []
    path = tmp_path / "out.jsonl"
    written = export_jsonl(original[0], path, on_progress=seen.append)
    assert seen[-1] == written == len(path.read_text().splitlines())
    assert not list(tmp_path.glob("*.partial"))


def test_probe_instants_and_latencies_are_rfc3339_and_decimal_seconds(rows):
    batch = next(row for row in rows if row["type"] == "ProbesRecorded")
    series = {(s["target"], s["location"]): s for s in batch["series"]}
    fra, ams = series[("api", "fra")], series[("api", "ams")]
    assert fra["at"][:4] == [
        "2026-04-01T00:00:07Z",
        "2026-04-01T01:00:07Z",
        "2026-04-01T02:00:07Z",
        "2026-04-01T03:00:07.000250Z",
    ]
    assert fra["latency"][0] == "0.1205"
    assert ams["latency"] is None
    assert series[("web", "fra")]["latency"][:2] == ["0.002", "0.001999"]


@pytest.mark.parametrize(
    ("text", "us"),
    [
        ("2026-04-01T00:00:00Z", 1_775_001_600_000_000),
        ("2026-04-01t00:00:00.5z", 1_775_001_600_500_000),
        ("2026-04-01T02:00:00.000001+02:00", 1_775_001_600_000_001),
    ],
)
def test_instants_are_read_as_rfc3339_with_their_offset(text, us):
    assert parse_instant(text, "at") == us


@pytest.mark.parametrize(
    "text",
    ["2026-04-01T00:00:00.1234567Z", "2026-04-01", "20260401T000000Z", "2026-04-31T00:00:00Z"],
)
def test_instants_outside_rfc3339_or_microseconds_are_refused(text):
    with pytest.raises(Refused, match="is not an RFC 3339 instant"):
        parse_instant(text, "at")


@pytest.mark.parametrize("us", [0, 1, 999_999, 1_000_000, 120_500, 3_600_000_000, 10_000_001])
def test_latencies_are_exact_decimal_seconds(us):
    text = format_seconds(us)
    assert Decimal(text) * 1_000_000 == us
    assert not text.endswith(".") and (text == "0" or not text.endswith("0") or "." not in text)


# -- refusals ---------------------------------------------------------------------------------

SPLIT_AFTER_BATCHES = 3


def _index(rest, kind, nth=0):
    return [i for i, row in enumerate(rest) if isinstance(row, dict) and row["type"] == kind][nth]


def _new_batch(rest, target, location, instant, ok=True):
    return {
        "type": "ProbesRecorded",
        "schema_version": 1,
        "recorded_at": rest[-1]["recorded_at"],
        "originator_id": str(uuid.uuid4()),
        "originator_version": 1,
        "series": [
            {"target": target, "location": location, "at": [instant], "ok": [ok], "latency": None}
        ],
    }


def _naive(rest):
    rest[0]["recorded_at"] = rest[0]["recorded_at"].removesuffix("Z")
    return 1, r"recorded_at '2026-04-05T00:05:00' is a naive instant"


def _naive_probe(rest):
    rest[0]["series"][1]["at"][5] = rest[0]["series"][1]["at"][5].removesuffix("Z")
    return 1, r"ProbesRecorded\.series\.1\.at\.5 '2026-04-04T05:00:07' is a naive instant"


def _naive_nested(rest):
    i = _index(rest, "IncidentDeclared")
    rest[i]["start"] = "2026-04-15T09:00:00"
    return i + 1, r"start '2026-04-15T09:00:00' is a naive instant"


def _unix_instant(rest):
    i = _index(rest, "IncidentDeclared")
    rest[i]["start"] = 1776243600
    return i + 1, r"start 1776243600 is not an RFC 3339 instant"


def _out_of_order(rest):
    rest[1], rest[2] = rest[2], rest[1]
    return 3, r"recorded_at 2026-04-06T00:05:00Z is before 2026-04-07T00:05:00Z of line 2"


def _before_the_store(rest, prefix):
    early = copy.deepcopy(prefix[0])
    early["originator_id"] = str(uuid.uuid4())  # not an event the store holds
    rest.insert(0, early)
    return 1, r"recorded_at 2026-03-20T00:00:00Z is before 2026-04-04T00:05:00Z of the store's last"


def _version_gap(rest):
    i = _index(rest, "IncidentResolved")
    rest[i]["originator_version"] = 3
    return i + 1, r"version gap: this IncidentResolved is version 3 of stream .*; expected 2"


def _new_stream_not_at_1(rest):
    i = _index(rest, "IncidentDeclared", 1)
    rest[i]["originator_version"] = 2
    return i + 1, r"version gap: this IncidentDeclared is version 2 .* at version 0; expected 1"


def _duplicate_event(rest):
    i = _index(rest, "IncidentDeclared")
    rest.insert(i + 1, copy.deepcopy(rest[i]))
    return i + 2, rf"duplicate event: stream .* is already at version 1 \(line {i + 1}\)"


def _duplicate_of_stored_event(rest, prefix):
    other = copy.deepcopy(prefix[-1])
    other["series"][0]["ok"][0] = not other["series"][0]["ok"][0]  # not the stored event
    rest.insert(0, other)
    return 1, r"duplicate event: stream .* is already at version 1 \(the store\)"


def _stored_event_again(rest, prefix):
    rest.insert(0, prefix[-1])
    return 1, r"this ProbesRecorded is in the store already, at log position \d+: the file was"


def _duplicate_probe(rest):
    rest.append(_new_batch(rest, "api", "fra", rest[0]["series"][0]["at"][3]))
    probe = r"api@fra@2026-04-04T03:00:07\.000250Z#up"
    return len(rest), rf"duplicate probe {probe}: line 1 records it already"


def _probe_in_store(rest, prefix):
    rest.append(_new_batch(rest, "web", "fra", "2026-04-02T00:30:07Z"))
    return len(rest), r"probe web@fra@2026-04-02T00:30:07Z#up is already in the store"


def _unknown_target(rest):
    rest[0]["series"][0]["target"] = "nope"
    return 1, r"unknown target 'nope'"


def _unknown_location(rest):
    rest[1]["series"][0]["location"] = "mars"
    return 2, r"location 'mars' is not registered for 'api'; its locations: fra, ams, par"


def _unknown_service(rest):
    i = _index(rest, "IncidentDeclared")
    rest[i]["services"] = ["web", "nope"]
    return i + 1, r"unknown service 'nope'"


def _unknown_incident(rest):
    i = _index(rest, "IncidentResolved")
    rest[i]["originator_id"], rest[i]["originator_version"] = str(uuid.uuid4()), 1
    return i + 1, r"unknown incident .*: no IncidentDeclared starts it"


def _unknown_announcement(rest):
    rest.append(
        {
            "type": "MaintenanceCancelled",
            "schema_version": 1,
            "recorded_at": rest[-1]["recorded_at"],
            "originator_id": str(uuid.uuid4()),
            "originator_version": 1,
            "reason": "",
        }
    )
    return len(rest), r"unknown maintenance announcement"


def _contract_of_unknown_service(rest, prefix):
    signed = copy.deepcopy(prefix[_index(prefix, "ContractSigned")])
    signed["contract"]["contract_id"] = "c3"
    signed["contract"]["lines"][0]["service"] = "nope"
    signed["originator_id"] = str(stream_id("contract", "c3"))
    signed["recorded_at"] = rest[-1]["recorded_at"]
    rest.append(signed)
    return len(rest), r"unknown service 'nope'"


def _wrong_stream(rest):
    i = _index(rest, "ContractAmended")
    rest[i]["contract"]["contract_id"] = "c1"
    return i + 1, r"originator_id .* is not the stream of contract 'c1', which is "


def _invalid_field(rest):
    i = _index(rest, "IncidentDeclared")
    rest[i]["reason"] = ""
    return i + 1, r"IncidentDeclared\.reason: String should have at least 1 character"


def _unknown_field(rest):
    i = _index(rest, "IncidentResolved")
    rest[i]["colour"] = "blue"
    return i + 1, r"IncidentResolved\.colour: Extra inputs are not permitted"


def _bad_latency(rest):
    rest[0]["series"][0]["latency"][2] = "0.1234567"
    return 1, r"ProbesRecorded\.series\.0\.latency\.2 '0\.1234567' must be null or decimal seconds"


def _series_out_of_order(rest):
    ats = rest[1]["series"][0]["at"]
    ats[3], ats[4] = ats[4], ats[3]
    return 2, r"ProbesRecorded\.series\.0\.at\.4: .* is not after"


def _probe_after_its_recording(rest):
    rest[1]["series"][0]["at"][-1] = "2027-01-01T00:00:00Z"
    return 2, r"a probe of 'api' from 'fra' at 2027-01-01T00:00:00Z is after its batch's recorded"


def _unknown_probe_invalidated(rest):
    i = _index(rest, "ProbesInvalidated")
    rest[i]["probe_ids"] = ["api@fra@2026-04-05T10:00:08Z#down"]
    return i + 1, r"no probe with id 'api@fra@2026-04-05T10:00:08Z#down'"


def _case_of_unknown_contract(rest):
    i = _index(rest, "SupportCaseOpened")
    rest[i]["contract_id"] = "c9"
    return i + 1, r"unknown contract 'c9': its ContractSigned must come first"


def _case_opened_after_it_was_recorded(rest):
    i = _index(rest, "SupportCaseOpened")
    rest[i]["opened_at"] = "2026-12-24T00:00:00Z"
    return i + 1, r"support case opened_at 2026-12-24T00:00:00\+00:00 is after its recorded_at"


def _unknown_case(rest):
    i = _index(rest, "SupportCaseResponded")
    rest[i]["originator_id"], rest[i]["originator_version"] = str(uuid.uuid4()), 1
    return i + 1, r"unknown support case .*: no SupportCaseOpened starts it"


def _exclusion_of_unknown_service(rest):
    i = _index(rest, "ExclusionRecorded")
    rest[i]["services"] = ["nope"]
    return i + 1, r"unknown service 'nope'"


def _maintenance_as_an_exclusion(rest):
    i = _index(rest, "ExclusionRecorded")
    rest[i]["category"] = "maintenance"
    return i + 1, r"ExclusionRecorded\.category: 'maintenance' is not an exclusion category"


def _unknown_exclusion_withdrawn(rest):
    i = _index(rest, "ExclusionWithdrawn")
    rest[i]["originator_id"], rest[i]["originator_version"] = str(uuid.uuid4()), 1
    return i + 1, r"unknown exclusion .*: no ExclusionRecorded starts it"


def _response_statement_on_another_stream(rest):
    i = _index(rest, "ResponseStatementIssued")
    rest[i]["statement"]["month"] = "2026-05"
    return i + 1, r"originator_id .* is not the stream of response 'c1/2026-05'"


def _malformed_json(rest):
    rest[2] = '{"type": "ProbesRecorded", "series": ['
    return 3, r"malformed JSON: "


def _unknown_type(rest):
    rest[1]["type"] = "ProbeRecorded"
    return 2, r"unknown event type 'ProbeRecorded'; expected one of ContractAmended, "


def _unknown_schema_version(rest):
    i = _index(rest, "IncidentDeclared")
    rest[i]["schema_version"] = 2
    return (
        i + 1,
        r"IncidentDeclared schema_version 2 is not supported: this sla-ledger reads version 1",
    )


def _empty_line(rest):
    rest.insert(3, "")
    return 4, r"empty line"


def _not_an_object(rest):
    rest.insert(0, "[1, 2]")
    return 1, r"expected a JSON object, got list"


BAD_INPUTS = [
    _malformed_json,
    _unknown_type,
    _unknown_schema_version,
    _naive,
    _naive_probe,
    _naive_nested,
    _unix_instant,
    _out_of_order,
    _before_the_store,
    _version_gap,
    _new_stream_not_at_1,
    _duplicate_event,
    _duplicate_of_stored_event,
    _stored_event_again,
    _duplicate_probe,
    _probe_in_store,
    _unknown_target,
    _unknown_location,
    _unknown_service,
    _unknown_incident,
    _unknown_announcement,
    _contract_of_unknown_service,
    _wrong_stream,
    _invalid_field,
    _unknown_field,
    _bad_latency,
    _series_out_of_order,
    _probe_after_its_recording,
    _unknown_probe_invalidated,
    _case_of_unknown_contract,
    _case_opened_after_it_was_recorded,
    _unknown_case,
    _exclusion_of_unknown_service,
    _maintenance_as_an_exclusion,
    _unknown_exclusion_withdrawn,
    _response_statement_on_another_stream,
    _empty_line,
    _not_an_object,
]


def split(rows):
    """The rows up to and including the third probe batch, and the rest."""
    batches = [i for i, row in enumerate(rows) if row["type"] == "ProbesRecorded"]
    cut = batches[SPLIT_AFTER_BATCHES - 1] + 1
    return copy.deepcopy(rows[:cut]), copy.deepcopy(rows[cut:])


def spoil(case, rows):
    prefix, rest = split(rows)
    wants_prefix = case.__code__.co_argcount == 2
    line, message = case(rest, prefix) if wants_prefix else case(rest)
    return prefix, rest, line, message


def assert_refused(ledger, path, line, message):
    position, before = ledger.position, exported(ledger)
    with pytest.raises(ImportFailed, match=rf"^line {line}: {message}"):
        import_jsonl(ledger, path)
    assert ledger.position == position
    assert exported(ledger) == before, "a refused import must leave the store exactly as it was"


@pytest.mark.parametrize("case", BAD_INPUTS, ids=lambda case: case.__name__.strip("_"))
def test_bad_input_is_refused_with_its_line_and_nothing_is_written(case, rows, tmp_path):
    prefix, rest, line, message = spoil(case, rows)
    ledger = open_ledger(f"sqlite:///{tmp_path / 'b.db'}")
    import_jsonl(ledger, write(tmp_path / "prefix.jsonl", prefix))
    assert_refused(ledger, write(tmp_path / "rest.jsonl", rest), line, message)
    good = split(rows)[1]
    assert import_jsonl(ledger, write(tmp_path / "rest.jsonl", good)).events == len(good)


@pytest.mark.parametrize(
    "case", [_duplicate_probe, _probe_in_store, _duplicate_of_stored_event, _unknown_target]
)
def test_bad_input_leaves_a_postgresql_store_as_it_was(case, rows, tmp_path, fresh_postgres_url):
    prefix, rest, line, message = spoil(case, rows)
    ledger = open_ledger(fresh_postgres_url)
    try:
        import_jsonl(ledger, write(tmp_path / "prefix.jsonl", prefix))
        assert_refused(ledger, write(tmp_path / "rest.jsonl", rest), line, message)
    finally:
        ledger.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_write_that_fails_on_its_last_row_writes_nothing(backend, rows, tmp_path, request):
    url = (
        f"sqlite:///{tmp_path / 'b.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("fresh_postgres_url")
    )
    ledger = open_ledger(url)
    prefix, rest = split(rows)
    import_jsonl(ledger, write(tmp_path / "prefix.jsonl", prefix))
    position, before = ledger.position, exported(ledger)
    events = [ledger.mapper.to_stored_event(from_interchange(json.dumps(row))) for row in rest]
    key = series_key("web", "fra")
    taken = next(iter(ledger.recorder.existing_probes(key, 0, 2**62)))
    fresh = [(key, 10**15 + i, 1, -1) for i in range(100)]
    # IntegrityError, or OperationalError where a PostgreSQL pipeline aborts
    with pytest.raises(PersistenceError):
        ledger.import_events(events, [*fresh, (key, *taken, -1)])
    assert ledger.position == position
    assert exported(ledger) == before
    ledger.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_clash_with_a_concurrent_writer_names_the_line_and_writes_nothing(
    backend, rows, tmp_path, monkeypatch, request
):
    url = (
        f"sqlite:///{tmp_path / 'b.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("fresh_postgres_url")
    )
    ledger = open_ledger(url)
    prefix, rest = split(rows)
    import_jsonl(ledger, write(tmp_path / "prefix.jsonl", prefix))
    other = open_ledger(url, clock=ManualClock(datetime(2026, 4, 6, tzinfo=UTC)))
    write_all = ledger.import_events

    def beaten_to_it(events, probe_rows=(), leaves=()):
        other.record_probes([Probe("web", "fra", at(5, 23, 30, 7), True, 1_999)])  # also on line 2
        write_all(events, probe_rows, leaves)

    monkeypatch.setattr(ledger, "import_events", beaten_to_it)
    position = ledger.position
    with pytest.raises(
        ImportFailed,
        match=r"^line 2: probe web@fra@2026-04-05T23:30:07Z#up is already in the store",
    ):
        import_jsonl(ledger, write(tmp_path / "rest.jsonl", rest))
    assert ledger.position == position + 1  # only the other writer's batch
    ledger.close()
    other.close()


def test_a_missing_file_is_refused_by_name(tmp_path):
    ledger = open_ledger("memory://")
    with pytest.raises(ImportFailed, match=r"cannot read '.*nope\.jsonl'"):
        import_jsonl(ledger, tmp_path / "nope.jsonl")


# -- published schemas ------------------------------------------------------------------------


def _gen_schemas():
    spec = importlib.util.spec_from_file_location(
        "gen_schemas", ROOT / "scripts" / "gen_schemas.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_published_schemas_are_current():
    files = _gen_schemas().rendered()
    published = {path.name: path.read_text() for path in (ROOT / "docs" / "schema").glob("*.json")}
    assert published == files, "run: .venv/bin/python scripts/gen_schemas.py"


def _validator(name):
    schema = event_schema(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def test_every_exported_line_validates_against_its_schema(rows):
    validators = {name: _validator(name) for name in EVENT_TYPES}
    for number, row in enumerate(rows, start=1):
        errors = [e.message for e in validators[row["type"]].iter_errors(row)]
        assert not errors, f"line {number} ({row['type']}): {errors}"


@pytest.mark.parametrize(
    ("field", "value"),
    [("at", "2026-04-01T00:00:07"), ("at", 1775001607), ("latency", 0.1205), ("ok", 1)],
)
def test_the_schemas_refuse_what_the_importer_refuses(rows, field, value):
    batch = copy.deepcopy(next(row for row in rows if row["type"] == "ProbesRecorded"))
    batch["series"][0][field][0] = value
    assert list(_validator("ProbesRecorded").iter_errors(batch))
    with pytest.raises(ImportFailed, match=rf"^line 1: ProbesRecorded\.series\.0\.{field}"):
        import_jsonl(open_ledger("memory://"), io.StringIO(json.dumps(batch)))


def test_the_documented_example_lines_are_valid_and_import(rows):
    text = (ROOT / "docs" / "interchange.md").read_text()
    examples = [
        line
        for block in re.findall(r"```json\n(.*?)```", text, flags=re.DOTALL)
        for line in block.splitlines()
    ]
    assert len(examples) >= 6
    for example in examples:
        row = json.loads(example)
        assert not list(_validator(row["type"]).iter_errors(row)), example
        from_interchange(example)
