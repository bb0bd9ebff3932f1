"""Hostile values, and the one check every fuzz case ends with.

``hostile()`` draws what a careless or malicious caller might pass where a
value is expected: wrong types, naive and far-off datetimes, NaN and infinite
decimals, negative and zero durations, huge, unicode and control-character
strings, empty and mismatched ids. ``either(plausible)`` mixes them with
plausible values, so that some calls get through and are checked for what
they did.

``attempt`` runs one call against a ledger: it is accepted, or refused with an
``SlaLedgerError`` whose message is one readable line, and after a refusal the
log digest is what it was. Each example's copy of the world is verified by
replay when the example ends (``world.Template.copy``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from sla_ledger import SlaLedger, SlaLedgerError
from tests.reliability.fuzz.world import NOW

FAR_EAST = timezone(timedelta(hours=14))
FAR_WEST = timezone(-timedelta(hours=14))

# Instants at the edges of what datetime holds: in UTC some lie outside year 1..9999.
EDGE_INSTANTS = (
    datetime.min.replace(tzinfo=UTC),
    datetime.min.replace(tzinfo=FAR_EAST),
    datetime.max.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=FAR_WEST),
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
)
EDGE_DECIMALS = tuple(
    Decimal(text)
    for text in ("NaN", "-NaN", "sNaN", "Infinity", "-Infinity", "1e999999", "-1e-999999", "-0")
)
CONTROL = "".join(map(chr, range(32))) + "\x7f\u2028\u2029\ufeff\u202e"


def huge_text() -> st.SearchStrategy[str]:
    return st.builds(
        lambda c, n: c * n,
        st.sampled_from(["a", "é", "\x00", "💥", "-"]),
        st.integers(1_000, 300_000),
    )


def nasty_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just(""),
        st.sampled_from(
            [
                " ",
                "\x00",
                "\n",
                "web\x00",
                " web",
                "web ",
                "WEB",
                "wéb",
                "../..",
                "web/db/i0",
                "@",
                "#",
                "null",
                "None",
                "%s",
                "{0}",
                "'",
                '"',
            ]
        ),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
        st.text(alphabet=CONTROL, min_size=1, max_size=8),
        huge_text(),
    )


def naive_instants() -> st.SearchStrategy[datetime]:
    return st.datetimes()


def aware_instants() -> st.SearchStrategy[datetime]:
    """Any aware instant, mostly near the world's clock, now and then far off."""
    near = st.integers(-200 * 86_400, 2 * 86_400).map(lambda s: NOW + timedelta(seconds=s))
    return st.one_of(
        near,
        near.map(lambda t: t.astimezone(FAR_EAST)),
        st.datetimes(timezones=st.sampled_from([UTC, FAR_EAST, FAR_WEST])),
        st.sampled_from(EDGE_INSTANTS),
    )


def durations() -> st.SearchStrategy[timedelta]:
    return st.one_of(
        st.sampled_from([timedelta(0), -timedelta(microseconds=1), timedelta.max, timedelta.min]),
        st.timedeltas(),
    )


def hostile() -> st.SearchStrategy[Any]:
    """A value nobody should pass: of the wrong type, or of the right type and absurd."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from([0, -1, 2**63, -(2**63) - 1, 10**400]),
        st.floats(),
        st.sampled_from([math.nan, math.inf, -math.inf]),
        st.decimals(allow_nan=True, allow_infinity=True),
        st.sampled_from(EDGE_DECIMALS),
        st.binary(max_size=20),
        nasty_text(),
        naive_instants(),
        aware_instants(),
        durations(),
        st.uuids(),
        st.just(object()),
        st.dates(),
    )
    return st.one_of(
        scalars,
        st.lists(scalars, max_size=3),
        st.lists(scalars, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=5), scalars, max_size=3),
        st.sets(st.integers(), max_size=3),
    )


def either(plausible: st.SearchStrategy[Any], odds: int = 3) -> st.SearchStrategy[Any]:
    """``plausible`` about ``odds`` times in ``odds + 1``, else something hostile."""
    return st.one_of(*([plausible] * odds), hostile())


def ids_from(*known: Any) -> st.SearchStrategy[Any]:
    """A known id (of the world), a random UUID, or an id of the wrong kind."""
    return st.one_of(st.sampled_from(known), st.uuids(), st.sampled_from([str(k) for k in known]))


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    value: Any = None
    error: SlaLedgerError | None = None


def attempt(ledger: SlaLedger, action: Callable[..., Any], *args: Any, **kwargs: Any) -> Outcome:
    """Run ``action``; check that it was accepted, or refused cleanly with nothing written."""
    before = ledger.digest()
    try:
        value = action(*args, **kwargs)
    except SlaLedgerError as error:
        check_message(error)
        assert ledger.digest() == before, f"refused ({error}) but the log changed"
        return Outcome(False, error=error)
    return Outcome(True, value)


def check_message(error: BaseException) -> None:
    """A refusal is one readable line of text that says something."""
    message = str(error)
    assert len(message) >= 10, f"{type(error).__name__}: {message!r} says too little"
    assert "Traceback" not in message, message
    assert not message.startswith("<"), message


def names(error: SlaLedgerError | None, value: Any) -> bool:
    """Whether a refusal's message names ``value`` (its repr, or the start of it)."""
    shown = repr(value)
    return error is not None and (shown in str(error) or shown[:30] in str(error))
