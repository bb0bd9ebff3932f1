"""A close that keeps losing races records one stream at a time. A response statement
combines the line credits that close decided, so it is recorded only with them: when
another closer took a line's stream, the response statement waits for the next close.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from eventsourcing.persistence import IntegrityError

from sla_ledger import ManualClock, open_ledger
from sla_ledger.domain import events as ev
from tests.integration.scenario import (
    APRIL,
    MAY,
    api_service,
    at,
    contract,
    new_ledger,
    record_month,
)
from tests.integration.test_concurrent_close import CLOSE, TIER


def closed_month_with_late_incident(url: str) -> None:
    ledger, clock = new_ledger(url)
    ledger.register_service(api_service())
    ledger.sign_contract(contract(support=TIER))
    record_month(ledger, APRIL, MAY, down=[(at(10, 12), at(10, 12, 45))])
    ledger.open_case("acme", "sev1", opened_at=at(20))
    clock.set(CLOSE)
    ledger.close_due_months()
    clock.advance(timedelta(hours=1))
    ledger.declare_incident(["api"], at(12), at(15), "reported late")  # a larger credit
    ledger.close()


def lose_every_race_for(url: str, lost: type[ev.DomainEvent]) -> Any:
    """A closer whose every commit holding a ``lost`` event is refused, as when other
    closers keep getting there first."""
    ledger = open_ledger(url, clock=ManualClock(CLOSE + timedelta(hours=2)))
    save = ledger.save

    def contested(*events: ev.DomainEvent, **kwargs: Any) -> Any:
        if any(isinstance(e, lost) for e in events):
            raise IntegrityError("another closer recorded this stream first")
        return save(*events, **kwargs)

    ledger.save = contested  # type: ignore[method-assign]
    return ledger


def test_a_response_statement_waits_for_the_line_statements_it_combines(tmp_path):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    closed_month_with_late_incident(url)
    loser = lose_every_race_for(url, ev.StatementRestated)
    closed = loser.close_due()
    report = loser.verify()
    assert report.ok, report.findings
    assert closed.statements == [] and closed.response_statements == []
    loser.close()
    winner = open_ledger(url, clock=ManualClock(CLOSE + timedelta(hours=3)))
    closed = winner.close_due()
    assert [s.version for s in closed.statements] == [2]
    assert [s.version for s in closed.response_statements] == [2]
    line = closed.response_statements[0].lines[0]
    assert line.statement_version == 2
    assert winner.verify().ok


def test_a_response_restatement_decided_after_its_line_was_restated_names_that_restatement(
    tmp_path,
):
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    closed_month_with_late_incident(url)
    loser = lose_every_race_for(url, ev.ResponseStatementRestated)
    assert [s.version for s in loser.close_due().statements] == [2]  # the line alone
    loser.close()
    winner = open_ledger(url, clock=ManualClock(CLOSE + timedelta(hours=3)))
    [response] = winner.close_due().response_statements
    [line] = winner.statements()
    assert line.version == response.lines[0].statement_version == 2
    assert [r.type for r in response.changed_by] == ["StatementRestated"]
    assert response.changed_by[0].recorded_at == line.known_at
    report = winner.verify()
    assert report.ok, report.findings
