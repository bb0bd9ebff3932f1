"""Checks of an ``Explanation`` against the log and against arithmetic done here,
independently of the library's own (Decimal and Fraction, nothing else)."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from pydantic import BaseModel

from sla_ledger import SlaLedger
from sla_ledger.domain.evidence import parse_probe_id
from sla_ledger.domain.explanation import Explanation, ProbeCitation
from sla_ledger.domain.time import to_us

US = timedelta(microseconds=1)


def citations(value: object) -> list[ProbeCitation]:
    """Every probe an explanation cites, wherever it cites it."""
    if isinstance(value, ProbeCitation):
        return [value]
    if isinstance(value, BaseModel):
        return [c for name in type(value).model_fields for c in citations(getattr(value, name))]
    if isinstance(value, tuple | list):
        return [c for item in value for c in citations(item)]
    return []


def assert_cited_probes_are_in_the_log(ledger: SlaLedger, explanation: Explanation) -> int:
    """Each cited probe is at the cited index of the cited series of the cited batch."""
    cited = citations(explanation)
    for c in cited:
        assert c.batch is not None, c
        (notification,) = ledger.recorder.select_notifications(
            start=c.position, limit=1, stop=c.position
        )
        batch = ledger.mapper.to_domain_event(notification)
        assert type(batch).__name__ == c.batch.type == "ProbesRecorded"
        assert batch.originator_id == c.batch.originator_id
        assert batch.originator_version == c.batch.originator_version
        assert batch.recorded_at == c.batch.recorded_at
        series = batch.series[c.series]
        assert (series.target, series.location) == (c.target, c.location)
        assert series.at[c.index] == to_us(c.at)
        assert bool(series.ok[c.index]) == (c.outcome == "up")
        assert parse_probe_id(c.probe_id) == (c.target, c.location, to_us(c.at), c.outcome == "up")
    return len(cited)


def assert_arithmetic_reproduces(explanation: Explanation) -> None:
    """The periods sum to the statement's time, and its figures follow from them."""
    s, a = explanation.statement, explanation.arithmetic
    down = sum((p.counted for p in explanation.periods if p.state == "down"), timedelta(0))
    unknown = sum((p.counted for p in explanation.periods if p.state == "unknown"), timedelta(0))
    assert (down, unknown) == (s.down, s.unknown)
    assert a.active == s.active == a.month_length - a.inactive
    assert a.eligible == s.eligible == s.active - s.excluded
    assert s.excluded == explanation.maintenance.used
    unavailable = down + (unknown if s.unknown_counts_as == "unavailable" else timedelta(0))
    assert unavailable == s.unavailable == a.unavailable
    eligible_us, unavailable_us = s.eligible // US, unavailable // US
    availability = (
        Fraction(eligible_us - unavailable_us, eligible_us) if eligible_us else Fraction(1)
    )
    assert availability == s.availability == a.availability
    percent = Decimal(availability.numerator * 100) / Decimal(availability.denominator)
    assert s.availability_percent == str(percent.quantize(Decimal("0.0001"), ROUND_DOWN))
    applicable = [t for t in a.tiers if availability * 100 < Fraction(t.below)]
    assert [t.applies for t in a.tiers] == [t in applicable for t in a.tiers]
    chosen = min(applicable, key=lambda t: t.below).credit if applicable else Decimal(0)
    assert chosen == s.credit_percent
    base = Fraction(a.monthly_fee) * Fraction(s.active // US, s.month_length // US)
    assert base == a.base_exact
    minor = Decimal(1).scaleb(s.credit.as_tuple().exponent)
    credit = _round(base * Fraction(min(chosen, a.max_credit)) / 100, minor)
    credit = credit if credit > 0 and credit >= a.minimum_credit else _round(Fraction(0), minor)
    assert credit == s.credit == a.credit
    assert _round(base, minor) == s.base


def _round(value: Fraction, minor: Decimal) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    # Enough precision for the fractions here; the quantize decides half-up.
    return exact.quantize(minor, ROUND_HALF_UP)
