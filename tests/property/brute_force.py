"""A deliberately naive reference model of the measurement rules R2-R10.

Written from SPEC.md alone, independently of ``sla_ledger``. It samples time
on a tick grid: every instant and duration in a scenario must be a multiple
of ``tick``, so every state is constant on each ``[k*tick, (k+1)*tick)`` and
looking at the state at each tick start gives exact microsecond totals.

Nothing here is clever; when in doubt it recomputes from scratch per tick.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

UP, DOWN, UNKNOWN = "up", "down", "unknown"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_S = 1_000_000

# ISO 4217 minor units for the currencies the tests use.
MINOR_UNITS = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3}

DEFAULT_TIERS = (
    (Decimal("99.9"), Decimal("10")),
    (Decimal("99.0"), Decimal("25")),
    (Decimal("95.0"), Decimal("100")),
)


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    critical: bool
    min_healthy: int
    instances: tuple[str, ...]


@dataclass(frozen=True)
class ServiceSpec:
    service_id: str
    locations: tuple[str, ...]
    probe_interval: timedelta
    staleness: timedelta | None = None
    quorum: int | None = None
    endpoint: bool = True
    components: tuple[ComponentSpec, ...] = ()

    @property
    def effective_staleness(self) -> timedelta:
        return self.staleness if self.staleness is not None else 3 * self.probe_interval

    @property
    def effective_quorum(self) -> int:
        return self.quorum if self.quorum is not None else len(self.locations) // 2 + 1

    def targets(self) -> list[str]:
        found = [self.service_id] if self.endpoint else []
        for comp in self.components:
            found += [f"{self.service_id}/{comp.name}/{inst}" for inst in comp.instances]
        return found


@dataclass(frozen=True)
class ProbeSpec:
    target: str
    location: str
    at: datetime
    ok: bool

    @property
    def key(self) -> tuple[str, str, datetime, bool]:
        return (self.target, self.location, self.at, self.ok)


@dataclass(frozen=True)
class IncidentSpec:
    services: tuple[str, ...]
    start: datetime
    end: datetime | None  # None: still open, down for ever


@dataclass(frozen=True)
class RescheduleSpec:
    start: datetime
    end: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class AnnouncementSpec:
    services: tuple[str, ...]
    start: datetime
    end: datetime
    recorded_at: datetime
    reschedules: tuple[RescheduleSpec, ...] = ()  # in recording order: the last known wins
    cancelled: bool = False


@dataclass(frozen=True)
class ContractSpec:
    time_zone: str = "UTC"
    starts_at: datetime = EPOCH
    ends_at: datetime | None = None
    monthly_fee: Decimal = Decimal("1000.00")
    currency: str = "EUR"
    target: Decimal = Decimal("99.9")
    tiers: tuple[tuple[Decimal, Decimal], ...] = DEFAULT_TIERS  # (below, credit percent)
    max_credit: Decimal = Decimal("100")
    minimum_credit: Decimal = Decimal("0")
    maintenance_notice: timedelta = timedelta(days=5)
    maintenance_cap: timedelta = timedelta(hours=8)
    min_downtime: timedelta = timedelta(seconds=60)
    unknown_counts_as: str = "unavailable"


@dataclass(frozen=True)
class Scenario:
    service: ServiceSpec
    contract: ContractSpec
    probes: tuple[ProbeSpec, ...] = ()
    invalidated: frozenset[tuple[str, str, datetime, bool]] = field(default_factory=frozenset)
    incidents: tuple[IncidentSpec, ...] = ()
    announcements: tuple[AnnouncementSpec, ...] = ()


@dataclass(frozen=True)
class Figures:
    month_us: int
    active_us: int
    excluded_us: int
    eligible_us: int
    down_us: int
    unknown_us: int
    unavailable_us: int
    availability: Fraction
    met: bool
    credit_percent: Decimal
    credit: Decimal


# --------------------------------------------------------------------------- time


def to_us(dt: datetime) -> int:
    """Microseconds since the Unix epoch; refuses naive datetimes (R1)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"naive datetime {dt!r}")
    delta = dt - EPOCH
    return (delta.days * 86_400 + delta.seconds) * US_PER_S + delta.microseconds


def dur_us(td: timedelta) -> int:
    return (td.days * 86_400 + td.seconds) * US_PER_S + td.microseconds


def month_bounds(time_zone: str, month: str) -> tuple[int, int]:
    """R2: [local midnight on the 1st, local midnight on the next 1st), in epoch us.

    ``fold=0`` gives the first occurrence of a repeated midnight and, for a
    skipped midnight, the pre-transition offset, i.e. exactly the transition
    instant: the first instant of the local day. (Cross-checked by a scan in
    the model's unit tests.)
    """
    year, mon = (int(part) for part in month.split("-"))
    zone = ZoneInfo(time_zone)
    nxt_year, nxt_mon = (year + 1, 1) if mon == 12 else (year, mon + 1)
    start = datetime(year, mon, 1, tzinfo=zone)
    end = datetime(nxt_year, nxt_mon, 1, tzinfo=zone)
    return to_us(start), to_us(end)


# --------------------------------------------------------------------------- R3/R4 state


class _Views:
    """Per (target, location): sorted probe instants and the outcomes at each."""

    def __init__(self, probes: list[ProbeSpec]) -> None:
        outcomes: dict[tuple[str, str], dict[int, set[bool]]] = {}
        for p in probes:
            outcomes.setdefault((p.target, p.location), {}).setdefault(to_us(p.at), set()).add(p.ok)
        self.instants = {k: sorted(v) for k, v in outcomes.items()}
        self.outcomes = outcomes

    def view(self, target: str, location: str, t: int, staleness: int) -> str:
        instants = self.instants.get((target, location), [])
        i = bisect.bisect_right(instants, t) - 1
        if i < 0:
            return UNKNOWN
        at = instants[i]
        if t - at >= staleness:  # valid over [at, at + staleness)
            return UNKNOWN
        seen = self.outcomes[(target, location)][at]
        return DOWN if False in seen else UP  # disagreeing duplicates count as down


def target_state(svc: ServiceSpec, views: _Views, target: str, t: int) -> str:
    staleness = dur_us(svc.effective_staleness)
    quorum = svc.effective_quorum
    all_views = [views.view(target, loc, t, staleness) for loc in svc.locations]
    if all_views.count(DOWN) >= quorum:
        return DOWN
    if all_views.count(UP) >= quorum:
        return UP
    return UNKNOWN


def component_state(svc: ServiceSpec, comp: ComponentSpec, views: _Views, t: int) -> str:
    states = [
        target_state(svc, views, f"{svc.service_id}/{comp.name}/{i}", t) for i in comp.instances
    ]
    n = len(states)
    if states.count(UP) >= comp.min_healthy:
        return UP
    if states.count(DOWN) > n - comp.min_healthy:
        return DOWN
    return UNKNOWN


def raw_service_state(scn: Scenario, views: _Views, t: int) -> str:
    """R3-R6 at instant t (before the blip filter)."""
    svc = scn.service
    for inc in scn.incidents:
        if (
            svc.service_id in inc.services
            and to_us(inc.start) <= t
            and (inc.end is None or t < to_us(inc.end))
        ):
            return DOWN
    parts = [target_state(svc, views, svc.service_id, t)] if svc.endpoint else []
    parts += [component_state(svc, c, views, t) for c in svc.components if c.critical]
    if DOWN in parts:
        return DOWN
    if UNKNOWN in parts:
        return UNKNOWN
    return UP


# --------------------------------------------------------------------------- R8


def qualifying_windows(scn: Scenario) -> list[tuple[int, int]]:
    notice = dur_us(scn.contract.maintenance_notice)
    windows = []
    for ann in scn.announcements:
        if scn.service.service_id not in ann.services or ann.cancelled:
            continue
        start, end, recorded = ann.start, ann.end, ann.recorded_at
        if ann.reschedules:  # listed in recording order; several may share one instant
            latest = ann.reschedules[-1]
            start, end, recorded = latest.start, latest.end, latest.recorded_at
        if to_us(recorded) <= to_us(start) - notice:
            windows.append((to_us(start), to_us(end)))
    return windows


# --------------------------------------------------------------------------- R10


def round_half_up(value: Fraction, digits: int) -> Decimal:
    assert value >= 0
    scaled = value * 10**digits
    units = (scaled + Fraction(1, 2)).__floor__()
    return Decimal(units).scaleb(-digits).quantize(Decimal(1).scaleb(-digits))


def credit_for(
    contract: ContractSpec, availability: Fraction, active_us: int, month_us: int
) -> tuple[Decimal, Decimal]:
    percent = Decimal(0)
    for below, credit in sorted(contract.tiers):
        if availability * 100 < Fraction(below):
            percent = credit
            break
    digits = MINOR_UNITS[contract.currency]
    if percent == 0:
        return percent, round_half_up(Fraction(0), digits)
    base = Fraction(contract.monthly_fee) * active_us / month_us
    raw = min(base * Fraction(percent), base * Fraction(contract.max_credit)) / 100
    amount = round_half_up(raw, digits)
    if amount < contract.minimum_credit:
        return percent, round_half_up(Fraction(0), digits)
    return percent, amount


# --------------------------------------------------------------------------- evaluation


def _check_grid(scn: Scenario, tick: int, month: tuple[int, int]) -> None:
    values = [*month, to_us(scn.contract.starts_at), dur_us(scn.service.effective_staleness)]
    values += [
        dur_us(scn.contract.maintenance_cap)
    ]  # min_downtime compares whole runs: any value works
    values += [to_us(scn.contract.ends_at)] if scn.contract.ends_at else []
    values += [to_us(p.at) for p in scn.probes]
    for inc in scn.incidents:
        values += [to_us(inc.start)] + ([to_us(inc.end)] if inc.end else [])
    values += [v for w in qualifying_windows(scn) for v in w]
    bad = [v for v in values if v % tick]
    if bad:
        raise ValueError(f"scenario is off the {tick} us tick grid: {bad[:5]}")


def _evidence_span(scn: Scenario) -> tuple[int, int]:
    instants = [to_us(p.at) for p in scn.probes]
    for inc in scn.incidents:
        instants += [to_us(inc.start)] + ([to_us(inc.end)] if inc.end else [])
    if not instants:
        return 0, 0
    return min(instants), max(instants) + dur_us(scn.service.effective_staleness)


def _blip_filtered(states: list[str], min_downtime: int, tick: int) -> list[str]:
    """R7: maximal down runs shorter than min_downtime become up.

    A run touching either end of ``states`` is treated as long: callers make
    the sampled range wide enough that such a run is at least min_downtime.
    """
    out = list(states)
    i = 0
    while i < len(states):
        if states[i] != DOWN:
            i += 1
            continue
        j = i
        while j < len(states) and states[j] == DOWN:
            j += 1
        touches_edge = i == 0 or j == len(states)
        if not touches_edge and (j - i) * tick < min_downtime:
            out[i:j] = [UP] * (j - i)
        i = j
    return out


def evaluate(
    scn: Scenario, month: str, tick: timedelta = timedelta(seconds=60), full_timeline: bool = False
) -> Figures:
    """Figures for the scenario's one contract line and ``month`` ("YYYY-MM").

    Args:
        tick: grid every instant and duration of the scenario lies on.
        full_timeline: sample the whole evidence span too (slow; the default
            samples only the active part of the month plus min_downtime and a
            tick either side, which is enough to judge every down run that
            reaches into the active part, R7).
    """
    c = scn.contract
    tk = dur_us(tick)
    m_start, m_end = month_bounds(c.time_zone, month)
    _check_grid(scn, tk, (m_start, m_end))
    a_start = max(m_start, to_us(c.starts_at))
    a_end = min(m_end, to_us(c.ends_at)) if c.ends_at else m_end
    a_end = max(a_start, a_end)
    md = dur_us(c.min_downtime)

    lo, hi = a_start - md - tk, a_end + md + 2 * tk
    if full_timeline:
        ev_lo, ev_hi = _evidence_span(scn)
        lo, hi = min(lo, ev_lo - md - tk), max(hi, ev_hi + md + tk)
    lo -= lo % tk

    kept = [p for p in scn.probes if p.key not in scn.invalidated]  # R6
    views = _Views(kept)
    ticks = list(range(lo, hi, tk))
    states = _blip_filtered([raw_service_state(scn, views, t) for t in ticks], md, tk)

    windows = qualifying_windows(scn)
    cap = dur_us(c.maintenance_cap)
    excluded = down = unknown = 0
    for t, state in zip(ticks, states, strict=True):
        if not a_start <= t < a_end:
            continue
        in_window = any(ws <= t < we for ws, we in windows)
        if in_window and excluded < cap:  # in time order, up to the cap
            excluded += tk
            continue
        down += tk if state == DOWN else 0
        unknown += tk if state == UNKNOWN else 0

    active = a_end - a_start
    eligible = active - excluded
    unavailable = down + (unknown if c.unknown_counts_as == "unavailable" else 0)
    availability = Fraction(eligible - unavailable, eligible) if eligible else Fraction(1)
    percent, credit = credit_for(c, availability, active, m_end - m_start)
    return Figures(
        month_us=m_end - m_start,
        active_us=active,
        excluded_us=excluded,
        eligible_us=eligible,
        down_us=down,
        unknown_us=unknown,
        unavailable_us=unavailable,
        availability=availability,
        met=availability * 100 >= Fraction(c.target),
        credit_percent=percent,
        credit=credit,
    )


def truncated_percent(availability: Fraction, places: int = 4) -> str:
    """Displayed percentage, truncated (never rounded up), e.g. '99.8958'."""
    scaled = availability * 100 * 10**places
    units = scaled.numerator // scaled.denominator
    whole, frac = divmod(units, 10**places)
    return f"{whole}.{frac:0{places}d}"


# --------------------------------------------------------------------------- R14


@dataclass
class Knowledge:
    """Evidence with the time the ledger recorded it, so a scenario can be taken
    "as known at" any instant (R14). Used by the stateful test."""

    service: ServiceSpec
    probes: list[tuple[ProbeSpec, datetime]] = field(default_factory=list)
    invalidations: list[tuple[tuple[str, str, datetime, bool], datetime]] = field(
        default_factory=list
    )
    # incident id -> (services, start, end as declared, declared_at, [(end, resolved_at)])
    incidents: dict[
        Hashable,
        tuple[
            tuple[str, ...], datetime, datetime | None, datetime, list[tuple[datetime, datetime]]
        ],
    ] = field(default_factory=dict)
    # announcement id -> (services, start, end, recorded_at, [reschedules], [cancelled_at])
    announcements: dict[
        Hashable,
        tuple[tuple[str, ...], datetime, datetime, datetime, list[RescheduleSpec], list[datetime]],
    ] = field(default_factory=dict)

    def scenario(self, contract: ContractSpec, known_at: datetime | None = None) -> Scenario:
        def known(t: datetime) -> bool:
            return known_at is None or t <= known_at

        incidents = []
        for services, start, end, declared_at, resolutions in self.incidents.values():
            if known(declared_at):
                later = [e for e, at in resolutions if known(at)]
                incidents.append(IncidentSpec(services, start, later[-1] if later else end))
        anns = []
        for services, start, end, recorded_at, reschedules, cancels in self.announcements.values():
            if known(recorded_at):
                resched = tuple(r for r in reschedules if known(r.recorded_at))
                cancelled = any(known(c) for c in cancels)
                anns.append(AnnouncementSpec(services, start, end, recorded_at, resched, cancelled))
        return Scenario(
            self.service,
            contract,
            probes=tuple(p for p, at in self.probes if known(at)),
            invalidated=frozenset(k for k, at in self.invalidations if known(at)),
            incidents=tuple(incidents),
            announcements=tuple(anns),
        )
