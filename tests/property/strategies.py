"""Hypothesis strategies: small scenarios on a tick grid, for the brute-force model.

Every instant and duration drawn here is a multiple of the scenario's tick, so
``brute_force.evaluate`` is exact. Evidence is concentrated on a day or two
around the contract's active part of the month to keep the model fast.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from tests.property.brute_force import (
    DEFAULT_TIERS,
    MINOR_UNITS,
    AnnouncementSpec,
    ComponentSpec,
    ContractSpec,
    IncidentSpec,
    ProbeSpec,
    RescheduleSpec,
    Scenario,
    ServiceSpec,
    month_bounds,
    round_half_up,
)

UTC = UTC
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
H = timedelta(hours=1)
ZONES = ("UTC", "Europe/Berlin", "America/New_York")
MONTHS = ("2026-02", "2026-03", "2026-04", "2026-10", "2026-11")  # 03, 10, 11 hold DST changes
OTHER_SERVICE = "web"  # registered too, so evidence can name a service that is not measured
MAX_ROUNDS = 48  # probe rounds per target and location, to keep the ledger and model quick


@dataclass(frozen=True)
class Case:
    """A scenario plus how to replay it into a ledger.

    ``cancel_at[i]`` is when announcement i is cancelled (None: never); incidents
    with ``resolve_later[i]`` are declared open and resolved afterwards.
    """

    scenario: Scenario
    month: str
    tick: timedelta
    sign_at: datetime
    settle_at: datetime  # probes, incidents and invalidations are recorded then
    cancel_at: tuple[datetime | None, ...]
    resolve_later: tuple[bool, ...]
    notice_period: timedelta

    @property
    def focus(self) -> tuple[datetime, datetime]:
        instants = [p.at for p in self.scenario.probes]
        return (min(instants), max(instants)) if instants else (self.sign_at, self.settle_at)


def _utc(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _ticks(draw, tick: timedelta, lo: int, hi: int) -> timedelta:
    return tick * draw(st.integers(lo, hi))


@st.composite
def services(draw, tick: timedelta) -> ServiceSpec:
    locations = tuple(f"l{i}" for i in range(1, draw(st.integers(2, 3)) + 1))
    comps = []
    for c in range(draw(st.integers(0, 2))):
        n = draw(st.integers(1, 3))
        comps.append(
            ComponentSpec(
                name=f"c{c}",
                critical=draw(st.booleans()),
                min_healthy=draw(st.integers(1, n)),
                instances=tuple(f"i{k}" for k in range(n)),
            )
        )
    endpoint = draw(st.booleans()) if any(c.critical for c in comps) else True
    interval = draw(
        st.sampled_from([tick * 5, 15 * timedelta(minutes=1), 30 * timedelta(minutes=1), H])
    )
    interval = tick * -(-interval // tick)  # on the grid
    staleness = draw(
        st.one_of(st.none(), st.none(), st.builds(lambda k: tick * k, st.integers(1, 40)))
    )
    quorum = draw(st.one_of(st.none(), st.integers(1, len(locations))))
    return ServiceSpec("api", locations, interval, staleness, quorum, endpoint, tuple(comps))


def _segment_length(tick: timedelta):
    long_max = max(2, int(6 * H / tick))
    return st.one_of(st.integers(1, 8), st.integers(8, long_max))


@st.composite
def target_probes(
    draw, svc: ServiceSpec, target: str, tick: timedelta, span: tuple[datetime, datetime]
):
    """Probes of one target: a few segments where locations mostly agree, then ok or silence."""
    start, end = span
    interval = svc.probe_interval
    jitter = {
        loc: tick * draw(st.integers(0, max(0, interval // tick - 1))) for loc in svc.locations
    }
    segments = []
    t = start
    for _ in range(draw(st.integers(0, 5))):
        length = tick * draw(_segment_length(tick))
        base = draw(st.sampled_from(["fail", "ok", "fail", "silent"]))
        actions = {
            loc: draw(st.sampled_from([base, base, base, "fail", "ok", "silent"]))
            for loc in svc.locations
        }
        segments.append((t, min(t + length, end), actions))
        t += length
        if t >= end:
            break
    if t < end:
        final = draw(st.sampled_from(["ok", "ok", "ok", "silent"]))
        segments.append((t, end, dict.fromkeys(svc.locations, final)))
    probes = []
    for s, e, actions in segments:
        for loc, action in actions.items():
            if action == "silent" or s >= e:
                continue
            at = s
            while at < e:
                probes.append(ProbeSpec(target, loc, at, action == "ok"))
                at = (at if at != s else s + jitter[loc]) + interval
    return probes


@st.composite
def cases(draw, min_windows: int = 0, max_windows: int = 3, money_edges: bool = False) -> Case:
    """Args:
    min_windows, max_windows: how many maintenance announcements.
    money_edges: whole-month contracts whose credits land on rounding ties
        and on ``minimum_credit`` exactly.
    """
    tick = timedelta(seconds=draw(st.sampled_from([60, 120, 300])))
    zone = draw(st.sampled_from(ZONES))
    month = draw(st.sampled_from(MONTHS))
    m0_us, m1_us = month_bounds(zone, month)
    m0, m1 = _utc(m0_us), _utc(m1_us)
    mode = (
        "full"
        if money_edges
        else draw(st.sampled_from(["tail", "tail", "window", "window", "full"]))
    )
    ends_at = None
    if mode == "tail":
        starts_at = m1 - _ticks(draw, H, 6, 40)
        active = (starts_at, m1)
    elif mode == "window":
        starts_at = m0 + draw(st.sampled_from([timedelta(0), _ticks(draw, H, 0, 24 * 20)]))
        ends_at = starts_at + _ticks(draw, H, 6, 40)
        active = (starts_at, min(ends_at, m1))
    else:
        tick = timedelta(seconds=300)
        starts_at = m0 - _ticks(draw, H, 1, 24 * 40)
        focus = m0 + _ticks(draw, H, 0, 24 * 26)
        active = (focus, focus + _ticks(draw, H, 6, 40))

    lead, trail = _ticks(draw, tick, 0, int(6 * H / tick)), _ticks(draw, tick, 0, int(6 * H / tick))
    span = (active[0] - lead, active[1] + trail)
    svc = draw(services(tick))
    floor = (span[1] - span[0]) / MAX_ROUNDS
    if svc.probe_interval < floor:  # too many rounds: coarser probing, still on the grid
        svc = replace(svc, probe_interval=tick * -(-floor // tick))
    if svc.staleness is not None and svc.staleness < svc.probe_interval and draw(st.booleans()):
        svc = replace(svc, staleness=svc.probe_interval * draw(st.integers(1, 4)))

    probes: list[ProbeSpec] = []
    for target in svc.targets():
        probes += draw(target_probes(svc, target, tick, span))
    probes += draw(st.lists(_stray_probe(svc, tick, span), max_size=3))
    probes += draw(_blips(svc, tick, span, (m0, m1, starts_at)))
    if probes:
        flips = draw(st.lists(st.integers(0, len(probes) - 1), max_size=3))
        probes += [replace(probes[i], ok=not probes[i].ok) for i in flips]  # disagreeing duplicates
    probes = list(dict.fromkeys(probes))  # identical probes share an id: keep one
    invalidated: frozenset[tuple[str, str, datetime, bool]] = frozenset()
    if probes:
        picks = draw(st.lists(st.integers(0, len(probes) - 1), max_size=4))
        invalidated = frozenset(probes[i].key for i in picks)

    contract = draw(contracts(zone, starts_at, ends_at, tick, money_edges))
    incidents, resolve_later = draw(_incidents(tick, span))
    anns, cancel_at = draw(
        _announcements(tick, span, contract.maintenance_notice, min_windows, max_windows)
    )

    recorded = [a.recorded_at for a in anns] + [r.recorded_at for a in anns for r in a.reschedules]
    notice_period = timedelta(days=1)
    sign_at = min([*recorded, starts_at, span[0], (ends_at or m1) - notice_period]) - timedelta(
        days=1
    )
    sign_at -= (sign_at - EPOCH) % H
    ends = [span[1], m1, *(a.end for a in anns), *(r.end for a in anns for r in a.reschedules)]
    ends += [i.end for i in incidents if i.end is not None]
    settle_at = max(ends) + H
    scenario = Scenario(svc, contract, tuple(probes), invalidated, tuple(incidents), tuple(anns))
    return Case(
        scenario,
        month,
        tick,
        sign_at,
        settle_at,
        tuple(cancel_at),
        tuple(resolve_later),
        notice_period,
    )


def _stray_probe(svc: ServiceSpec, tick: timedelta, span: tuple[datetime, datetime]):
    steps = int((span[1] - span[0]) / tick)
    return st.builds(
        lambda target, loc, k, ok: ProbeSpec(target, loc, span[0] + tick * k, ok),
        st.sampled_from(svc.targets()),
        st.sampled_from(svc.locations),
        st.integers(0, max(0, steps - 1)),
        st.booleans(),
    )


@st.composite
def _blips(
    draw,
    svc: ServiceSpec,
    tick: timedelta,
    span: tuple[datetime, datetime],
    edges: tuple[datetime, ...],
):
    """Short outages seen from every location, some straddling a month or contract edge."""
    steps = int((span[1] - span[0]) / tick)
    probes = []
    for _ in range(draw(st.integers(0, 3))):
        target = draw(st.sampled_from(svc.targets()))
        length = tick * draw(st.integers(1, 6))
        if draw(st.booleans()):
            start = draw(st.sampled_from(edges)) - tick * draw(st.integers(0, 5))
        else:
            start = span[0] + tick * draw(st.integers(0, max(0, steps - 1)))
        probes += [ProbeSpec(target, loc, start, False) for loc in svc.locations]
        probes += [ProbeSpec(target, loc, start + length, True) for loc in svc.locations]
    return probes


_SERVICES = st.sampled_from([("api",), ("api",), ("api", OTHER_SERVICE), (OTHER_SERVICE,)])


@st.composite
def _incidents(draw, tick: timedelta, span: tuple[datetime, datetime]):
    steps = int((span[1] - span[0]) / tick)
    incidents, later = [], []
    for _ in range(draw(st.integers(0, 2))):
        start = span[0] + tick * draw(st.integers(0, max(0, steps - 1)))
        length = draw(st.one_of(st.none(), st.integers(1, 5), st.integers(5, int(6 * H / tick))))
        end = None if length is None else start + tick * length
        incidents.append(IncidentSpec(draw(_SERVICES), start, end))
        later.append(end is not None and draw(st.booleans()))
    return incidents, later


@st.composite
def _announcements(
    draw, tick: timedelta, span: tuple[datetime, datetime], notice: timedelta, least: int, most: int
):
    steps = int((span[1] - span[0]) / tick)
    anns, cancel_at = [], []
    slack = [-tick, timedelta(0), tick, timedelta(days=1), -timedelta(days=1), -H]
    for _ in range(draw(st.integers(least, most))):
        start = span[0] + tick * draw(st.integers(-int(2 * H / tick), max(0, steps - 1)))
        end = start + tick * draw(st.integers(1, int(6 * H / tick)))
        recorded = start - notice - draw(st.sampled_from(slack))
        reschedules, cur_start, cur_recorded = [], start, recorded
        for _ in range(draw(st.integers(0, 2))):
            room = int((cur_start - cur_recorded) / tick) - 1
            if room < 1:
                break
            at = cur_recorded + tick * draw(st.integers(1, room))
            new_start = max(
                at + tick, start + tick * draw(st.integers(-int(3 * H / tick), int(3 * H / tick)))
            )
            new_start = draw(st.sampled_from([new_start, at + notice, at + notice - tick]))
            new_start = max(new_start, at + tick)
            new_end = new_start + tick * draw(st.integers(1, int(6 * H / tick)))
            reschedules.append(RescheduleSpec(new_start, new_end, at))
            cur_start, cur_recorded = new_start, at
        cancelled = draw(st.integers(0, 4)) == 0
        when = None
        if cancelled:
            room = int((cur_start - cur_recorded) / tick) - 1
            if room < 1:
                cancelled = False
            else:
                when = cur_recorded + tick * draw(st.integers(1, room))
        anns.append(
            AnnouncementSpec(draw(_SERVICES), start, end, recorded, tuple(reschedules), cancelled)
        )
        cancel_at.append(when)
    return anns, cancel_at


_MONEY = {
    "EUR": st.sampled_from(
        [Decimal("1000.00"), Decimal("333.33"), Decimal("0.05"), Decimal("12.34")]
    ),
    "USD": st.sampled_from([Decimal("1000.00"), Decimal("99.99"), Decimal("7.00")]),
    "JPY": st.sampled_from([Decimal("12345"), Decimal("1000"), Decimal("7")]),
    "BHD": st.sampled_from([Decimal("1000.000"), Decimal("33.335")]),
}
# fee x 10 % (or 25 %) sits exactly on half a minor unit: half-up and half-even differ
_TIE_FEES = {
    "EUR": st.sampled_from([Decimal("0.25"), Decimal("0.05"), Decimal("12.34")]),
    "USD": st.sampled_from([Decimal("0.25"), Decimal("1.02")]),
    "JPY": st.sampled_from([Decimal("25"), Decimal("5"), Decimal("2")]),
    "BHD": st.sampled_from([Decimal("0.025"), Decimal("0.045")]),
}
_MINIMUM = {"EUR": "5.00", "USD": "0.50", "JPY": "100", "BHD": "1.000"}
_TIERS = st.sampled_from(
    [
        DEFAULT_TIERS,
        (
            (Decimal("99.95"), Decimal("5")),
            (Decimal("99.5"), Decimal("15")),
            (Decimal("90"), Decimal("50")),
        ),
        ((Decimal("100"), Decimal("3.333")),),
    ]
)


@st.composite
def contracts(
    draw,
    zone: str,
    starts_at: datetime,
    ends_at: datetime | None,
    tick: timedelta,
    money_edges: bool = False,
) -> ContractSpec:
    currency = draw(st.sampled_from(sorted(_MONEY)))
    tiers = draw(_TIERS)
    fee = draw(_TIE_FEES[currency] if money_edges else _MONEY[currency])
    minimum = [Decimal(0), Decimal(_MINIMUM[currency])]
    if money_edges:  # a whole month's credit at some tier, exactly
        minimum += [
            round_half_up(Fraction(fee) * Fraction(pct) / 100, MINOR_UNITS[currency])
            for _, pct in tiers
        ]
    return ContractSpec(
        time_zone=zone,
        starts_at=starts_at,
        ends_at=ends_at,
        monthly_fee=fee,
        currency=currency,
        target=draw(st.sampled_from([Decimal("99.9"), Decimal("99.5"), Decimal("95")])),
        tiers=tiers,
        max_credit=draw(st.sampled_from([Decimal("100"), Decimal("30"), Decimal("12.5")])),
        minimum_credit=draw(st.sampled_from(minimum)),
        maintenance_notice=draw(st.sampled_from([timedelta(days=5), timedelta(days=1), 2 * H])),
        maintenance_cap=draw(st.sampled_from([8 * H, 2 * H, 30 * timedelta(minutes=1), tick])),
        min_downtime=draw(
            st.sampled_from(
                [
                    timedelta(seconds=60),
                    tick * 2,
                    tick * 3,
                    tick * 5,
                    timedelta(seconds=90),
                    timedelta(0),
                ]
            )
        ),
        unknown_counts_as=draw(
            st.sampled_from(["available"] if money_edges else ["unavailable", "available"])
        ),
    )


# -- business hours (tests/property/test_business_hours.py) ---------------------------------

BUSINESS_ZONES = (
    "UTC",
    "Europe/Berlin",  # +1/+2, changes at 02:00/03:00 local
    "Europe/Dublin",  # "negative" DST in tzdata: winter is the saving time
    "America/New_York",
    "America/Havana",  # changes at midnight: some local days start at 01:00
    "America/St_Johns",  # -3:30 / -2:30
    "Australia/Lord_Howe",  # a 30-minute DST
    "Pacific/Chatham",  # +12:45 / +13:45
    "Africa/Casablanca",  # Ramadan changes
    "Asia/Kolkata",  # +5:30, no DST
)


@functools.cache
def offset_changes(zone: str) -> tuple[datetime, ...]:
    """UTC midnights of the days of 2026-2027 in which ``zone`` changes its offset."""
    tz, days = ZoneInfo(zone), []
    day = datetime(2026, 1, 1, tzinfo=UTC)
    while day.year < 2028:
        if (day + timedelta(days=1)).astimezone(tz).utcoffset() != day.astimezone(tz).utcoffset():
            days.append(day)
        day += timedelta(days=1)
    return tuple(days)


_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@st.composite
def openings(draw) -> tuple[frozenset[str], int, int]:
    """(days, opens, closes) in minutes after local midnight, often across a DST change."""
    days = frozenset(draw(st.sets(st.sampled_from(_WEEKDAY_NAMES), min_size=1)))
    edges = st.one_of(
        st.sampled_from([0, 60, 90, 120, 150, 180, 240, 540, 1020, 1380, 1440]),
        st.integers(0, 1440),
    )
    a, b = draw(edges), draw(edges)
    if a == b:
        a, b = (a - 1, a) if a else (0, 1)
    return days, min(a, b), max(a, b)


@st.composite
def business_hours_cases(draw, max_minutes: int = 4 * 1440) -> tuple[str, tuple, tuple, datetime]:
    """(zone, openings, holidays, start): a start on a whole minute, often within two days
    of an offset change of the zone."""
    zone = draw(st.sampled_from(BUSINESS_ZONES))
    hours = tuple(draw(st.lists(openings(), min_size=1, max_size=3)))
    anywhere = st.integers(0, 729).map(lambda n: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(n))
    changes = offset_changes(zone)
    day = draw(st.one_of(st.sampled_from(changes), anywhere) if changes else anywhere)
    start = day + timedelta(minutes=draw(st.integers(-2 * 1440, 2 * 1440)))
    holidays = tuple(
        (start + timedelta(days=n)).date()
        for n in draw(st.sets(st.integers(-1, max_minutes // 1440 + 1), max_size=3))
    )
    return zone, hours, holidays, start
