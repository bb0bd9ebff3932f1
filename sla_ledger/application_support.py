"""The support side of ``SlaLedger``: cases, exclusions and response statements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from sla_ledger.arguments import checked
from sla_ledger.clock import Clock
from sla_ledger.domain import commands
from sla_ledger.domain import events as ev
from sla_ledger.domain import support_commands as support
from sla_ledger.domain.evidence import FOREVER
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.reckoning import Reckoner
from sla_ledger.domain.response_reckoning import ResponseView, case_summary, response_statement
from sla_ledger.domain.response_statement import CaseSummary, ResponseStatement
from sla_ledger.domain.statement import Statement
from sla_ledger.domain.time import parse_month, to_us


class SupportCommands:
    """Methods of ``SlaLedger`` for support cases, exclusions and response statements."""

    # What they use of SlaLedger, which mixes them in.
    clock: Clock
    catch_up: Callable[[], LedgerState]
    _now: Callable[[], datetime]
    _save: Callable[..., None]

    @checked
    def open_case(
        self,
        contract_id: str,
        severity: str,
        opened_at: datetime | None = None,
        subject: str = "",
    ) -> UUID:
        """Open a support case of a contract; return its id.

        Args:
            severity: one of the severities of the contract's support tier.
            opened_at: when the customer raised it (default: now); never after now.
        """
        state = self.catch_up()
        event = support.open_case(state, contract_id, severity, opened_at, subject, self._now())
        return self._saved(event)

    @checked
    def change_severity(self, case_id: UUID, severity: str, reason: str = "") -> None:
        """Give a case another severity from now on."""
        state = self.catch_up()
        self._save(support.change_severity(state, case_id, severity, reason, self._now()))

    @checked
    def respond(self, case_id: UUID, note: str = "") -> None:
        """Record a case's first response, given now: a response cannot be backdated."""
        self._save(support.respond(self.catch_up(), case_id, note, self._now()))

    @checked
    def update_case(self, case_id: UUID, note: str = "") -> None:
        """Record an update of a case after its first response, given now."""
        self._save(support.update_case(self.catch_up(), case_id, note, self._now()))

    @checked
    def resolve_case(self, case_id: UUID, note: str = "") -> None:
        """Record a case resolved now."""
        self._save(support.resolve_case(self.catch_up(), case_id, note, self._now()))

    @checked
    def exclude(
        self,
        category: str,
        services: Sequence[str],
        start: datetime,
        end: datetime,
        reason: str,
        decided_by: str,
        contract_id: str | None = None,
    ) -> UUID:
        """Record a decision to exclude ``[start, end)`` of ``services`` from measurement
        for a reason of ``category`` (e.g. ``customer-caused``); return its id.

        It applies to contracts that allow the category (``Contract.exclusion_categories``)
        and is listed on every statement it touches either way.

        Args:
            decided_by: who decided it.
            contract_id: only for this contract; default every contract measuring them.
        """
        window = (start, end)
        event = support.record_exclusion(
            self.catch_up(), category, services, window, reason, decided_by, contract_id,
            self._now(),
        )  # fmt: skip
        return self._saved(event)

    @checked
    def withdraw_exclusion(self, exclusion_id: UUID, reason: str, decided_by: str) -> None:
        """Withdraw an exclusion from now on; statements it changed are restated."""
        state = self.catch_up()
        event = support.withdraw_exclusion(state, exclusion_id, reason, decided_by, self._now())
        self._save(event)

    @checked
    def response_statement_for(
        self, contract_id: str, month: str, as_known_at: datetime | None = None
    ) -> ResponseStatement | None:
        """The issued response statement (latest version, or the one current at
        ``as_known_at``), or None."""
        parse_month(month)
        history = self.catch_up().support.responses.get((contract_id, month))
        return history.as_known_at(_known(as_known_at)) if history else None

    @checked
    def shown_response_statement(
        self, contract_id: str, month: str, as_known_at: datetime | None = None
    ) -> tuple[str, ResponseStatement] | None:
        """``("issued", statement)`` when one is issued (by ``as_known_at``), else
        ``("provisional", figures)`` for the month to date, or None when the contract
        has no response targets that month."""
        issued = self.response_statement_for(contract_id, month, as_known_at)
        if issued is not None:
            return "issued", issued
        known_at = as_known_at or self.clock.now()
        computed = self.compute_response_statement(contract_id, month, known_at, until=known_at)
        return None if computed is None else ("provisional", computed)

    @checked
    def compute_response_statement(
        self,
        contract_id: str,
        month: str,
        as_known_at: datetime | None = None,
        until: datetime | None = None,
    ) -> ResponseStatement | None:
        """A response statement's figures, computed now and not issued; None when the
        month's terms name no support tier and no case has a target due in it.

        Args:
            as_known_at: use only the events recorded by then (R14); default all.
            until: measure availability only up to this instant (month to date).
        """
        parse_month(month)
        state = self.catch_up()
        now, known_at = to_us(self._now()), _known(as_known_at)
        reckoner = Reckoner(state, now, known_at, _known(until, "until"))

        def availability(line_id: str) -> Statement:
            return reckoner.statement(contract_id, line_id, month)

        view = ResponseView(now, known_at, availability)
        return response_statement(state, contract_id, month, view)

    @checked
    def response_statements(
        self, contract_id: str | None = None, month: str | None = None
    ) -> list[ResponseStatement]:
        """The latest version of every issued response statement, optionally filtered."""
        return [
            h.versions[-1]
            for (c, m), h in sorted(self.catch_up().support.responses.items())
            if h.versions and contract_id in (None, c) and month in (None, m)
        ]

    @checked
    def cases(self, contract_id: str | None = None) -> list[CaseSummary]:
        """Every support case (or one contract's), in the order they were opened."""
        found = self.catch_up().support.cases.values()
        return sorted(
            (case_summary(c) for c in found if contract_id in (None, c.contract_id)),
            key=lambda c: (c.opened_at, c.recorded_at),
        )

    def _saved(self, event: ev.DomainEvent) -> UUID:
        self._save(event)
        return event.originator_id


def _known(instant: datetime | None, what: str = "as_known_at") -> int:
    return FOREVER if instant is None else to_us(commands.aware(instant, what))
