"""``explain`` on real SQLite and PostgreSQL stores: the demo month, and a statement
whose stored figures were edited behind the ledger's back."""

from __future__ import annotations

import io
import json
import re
import sqlite3
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from sla_ledger import ManualClock, SlaLedger, open_ledger
from sla_ledger.adapters.jsonl import export_jsonl, import_jsonl
from sla_ledger.audit.explain import explain
from sla_ledger.cli.explain_view import explanation_view
from sla_ledger.demo import MONTH, SIGNED_AT, build_demo
from sla_ledger.domain.explanation import Explanation
from tests.integration.explained import (
    assert_arithmetic_reproduces,
    assert_cited_probes_are_in_the_log,
)
from tests.integration.scenario import MAY, api_service, at, contract, new_ledger, record_month

LINES = [("acme-eu", "api"), ("acme-eu", "platform"), ("globex-us", "api"), ("globex-us", "auth")]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SlaLedger]:
    """The demo month (2.2 million probes), built once per store."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
        yield _built(url)
        return
    make = request.getfixturevalue("postgres_databases")
    with make() as url:
        ledger = _built(url)
        yield ledger
        ledger.close()


def _built(url: str) -> SlaLedger:
    clock = ManualClock(SIGNED_AT)
    ledger = open_ledger(url, clock=clock)
    build_demo(ledger, clock)
    return ledger


@pytest.mark.slow  # builds the demo: 2.2 million probes
@pytest.mark.parametrize(("contract_id", "line_id"), LINES)
def test_every_demo_statement_is_reproduced_from_the_probes_its_explanation_cites(
    demo: SlaLedger, contract_id: str, line_id: str
) -> None:
    x = explain(demo, contract_id, line_id, MONTH)

    assert x.issued and x.consistent, x.discrepancies
    assert x.statement == demo.statement_for(contract_id, line_id, MONTH)
    assert x.replayed_to == x.log_position == x.statement.log_position
    assert x.log_digest == x.statement.log_digest and x.log_digest.size == x.log_position
    assert_arithmetic_reproduces(x)
    assert assert_cited_probes_are_in_the_log(demo, x) > 0


@pytest.mark.slow  # builds the demo: 2.2 million probes
def test_the_demo_explanations_tell_its_story(demo: SlaLedger) -> None:
    api = explain(demo, "acme-eu", "api", MONTH)
    assert [(p.state, p.duration) for p in api.periods] == [("down", timedelta(minutes=47))]
    assert [b.duration for b in api.blips] == [timedelta(seconds=30)]

    platform = explain(demo, "acme-eu", "platform", MONTH)
    (period,) = platform.periods
    assert (period.counted, period.excluded) == (timedelta(minutes=15), timedelta(minutes=110))
    assert [(a.target, a.zone) for a in platform.absorbed] == [("platform/db/db-b", "b")]
    (window,) = platform.maintenance.windows
    assert (window.status, window.lead) == ("qualifying", timedelta(days=7))

    auth = explain(demo, "globex-us", "auth", MONTH)
    kinds = [(p.state, p.opened_by.evidence[0].kind) for p in auth.periods]
    assert kinds == [("down", "incident"), ("down", "probe"), ("unknown", "staleness")]
    (late,) = auth.maintenance.windows
    assert (late.status, late.lead, late.excluded) == ("late", timedelta(days=1), timedelta(0))


def test_an_imported_ledger_explains_its_statements_as_the_original_does(tmp_path: Path) -> None:
    original, clock = new_ledger(f"sqlite:///{tmp_path / 'original.db'}")
    original.register_service(api_service())
    original.sign_contract(contract())
    record_month(original, at(1), MAY + timedelta(hours=1), down=[(at(10, 12), at(10, 12, 45))])
    clock.set(MAY + timedelta(hours=2))
    original.close_due_months()
    export_jsonl(original, tmp_path / "ledger.jsonl")
    copy = open_ledger(f"sqlite:///{tmp_path / 'copy.db'}")
    import_jsonl(copy, tmp_path / "ledger.jsonl")

    there, here = (
        explain(original, "acme", "core", "2026-04"),
        explain(copy, "acme", "core", "2026-04"),
    )

    assert here.consistent and here == there
    assert_cited_probes_are_in_the_log(copy, here)


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("fresh_postgres_url"))


def test_a_statement_edited_in_the_store_is_reported_as_a_discrepancy(store_url: str) -> None:
    ledger, clock = new_ledger(store_url)
    ledger.register_service(api_service())
    ledger.sign_contract(contract())
    record_month(ledger, at(1), MAY + timedelta(hours=1), down=[(at(10, 12), at(10, 12, 45))])
    clock.set(MAY + timedelta(hours=2))
    (issued,) = ledger.close_due_months()
    assert issued.credit == Decimal("100.00")
    ledger.close()

    _edit_statement(store_url, b'"credit":"100.00"', b'"credit":"900.00"')
    x = explain(open_ledger(store_url), "acme", "core", "2026-04")

    assert not x.consistent and x.statement.credit == Decimal("900.00")
    assert {(d.field, d.issued, d.derived) for d in x.discrepancies} == {
        ("credit", "900.00", "100.00"),
        ("credit (arithmetic)", "900.00", "100.00"),
    }


def _edit_statement(url: str, old: bytes, new: bytes) -> None:
    """Rewrite the stored ``StatementIssued`` event directly in the database."""
    if url.startswith("sqlite:"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            (state,) = db.execute(
                "SELECT state FROM stored_events WHERE topic = 'StatementIssued'"
            ).fetchone()
            assert old in state
            db.execute(
                "UPDATE stored_events SET state = ? WHERE topic = 'StatementIssued'",
                (state.replace(old, new),),
            )
        return
    import psycopg

    with psycopg.connect(url) as db:
        (state,) = db.execute(
            "SELECT state FROM slaledger_events WHERE topic = 'StatementIssued'"
        ).fetchone()
        assert old in bytes(state)
        db.execute(
            "UPDATE slaledger_events SET state = %s WHERE topic = 'StatementIssued'",
            (bytes(state).replace(old, new),),
        )


DOC = Path(__file__).resolve().parents[2] / "docs" / "explain.md"
IDS = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{64}")


@pytest.mark.slow  # builds the demo: 2.2 million probes
def test_docs_explain_md_shows_what_explain_prints_for_the_demo(demo: SlaLedger) -> None:
    """Event ids and digest roots are random in each demo; the rest is as documented."""
    text_blocks = re.findall(r"```text\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    json_blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    auth, platform, api = (
        explain(demo, *line, MONTH)
        for line in (("globex-us", "auth"), ("acme-eu", "platform"), ("acme-eu", "api"))
    )

    assert _normal(text_blocks[0]) == _normal(_rendered(auth))
    assert _normal(text_blocks[1]) in _normal(_rendered(platform))
    assert _normal(text_blocks[2]) in _normal(_rendered(api))
    shown = [auth.periods[1].opened_by.evidence[0], auth.periods[2].opened_by.evidence[0]]
    for block, evidence in zip(json_blocks, shown, strict=True):
        assert _normal(block) == _normal(json.dumps(evidence.model_dump(mode="json"), indent=2))


def _rendered(explanation: Explanation) -> str:
    out = Console(file=io.StringIO(), width=100, highlight=False, color_system=None)
    out.print(explanation_view(explanation))
    return out.file.getvalue()  # type: ignore[attr-defined]


def _normal(text: str) -> str:
    lines = [line.rstrip() for line in IDS.sub("<id>", text).splitlines()]
    squeezed = [x for i, x in enumerate(lines) if x or (i and lines[i - 1])]
    return "\n".join(squeezed).strip("\n")
