from array import array

from sla_ledger.domain import intervals as iv
from sla_ledger.domain.timeline import (
    DOWN,
    UNKNOWN,
    UP,
    combine,
    component_rule,
    filter_blips,
    intervals_of,
    location_view,
    quorum_rule,
    worst,
)

S = 1_000_000


def view(probes, staleness=90, lo=0, hi=1_000):
    ats = array("q", (t * S for t, _ in probes))
    oks = bytes(1 if ok else 0 for _, ok in probes)
    return location_view(ats, oks, staleness * S, lo * S, hi * S)


def seconds(changes):
    return [(t // S, s) for t, s in changes]


def test_a_view_holds_the_latest_outcome_until_it_goes_stale():
    assert seconds(view([(10, True), (40, True), (70, False)])) == [
        (0, UNKNOWN),
        (10, UP),
        (70, DOWN),
        (160, UNKNOWN),
    ]


def test_a_gap_longer_than_staleness_is_unknown_until_the_next_probe():
    assert seconds(view([(0, True), (200, True)])) == [
        (0, UP),
        (90, UNKNOWN),
        (200, UP),
        (290, UNKNOWN),
    ]


def test_probes_before_the_window_decide_its_first_state():
    assert seconds(view([(0, False), (30, False)], lo=100)) == [(100, DOWN), (120, UNKNOWN)]


def test_disagreeing_probes_at_one_instant_count_as_down():
    assert seconds(view([(10, True), (10, False), (20, True)])) == [
        (0, UNKNOWN),
        (10, DOWN),
        (20, UP),
        (110, UNKNOWN),
    ]


def test_quorum_needs_a_majority_and_down_wins_a_tie_of_quorums():
    a = [(0, UP), (10, DOWN)]
    b = [(0, UP), (20, DOWN)]
    c = [(0, UP)]
    assert combine([a, b, c], quorum_rule(2), 0, 100) == [(0, UP), (20, DOWN)]
    # quorum 1 of 2: one up and one down view both reach quorum; down wins
    assert combine([[(0, UP)], [(0, DOWN)]], quorum_rule(1), 0, 100) == [(0, DOWN)]
    assert combine([[(0, UP)], [(0, UNKNOWN)], [(0, DOWN)]], quorum_rule(2), 0, 100) == [
        (0, UNKNOWN)
    ]


def test_a_component_is_down_only_when_min_healthy_cannot_be_met():
    rule = component_rule(2)
    assert rule([UP, UP, DOWN]) == UP
    assert rule([UP, DOWN, UNKNOWN]) == UNKNOWN
    assert rule([UP, DOWN, DOWN]) == DOWN


def test_a_service_is_as_bad_as_its_worst_critical_part():
    assert worst([UP, UNKNOWN]) == UNKNOWN
    assert worst([UNKNOWN, DOWN]) == DOWN
    assert worst([UP, UP]) == UP


def test_blips_shorter_than_min_downtime_count_as_up_but_unknown_is_never_filtered():
    changes = [
        (0, UP),
        (10 * S, DOWN),
        (69 * S, UP),
        (100 * S, UNKNOWN),
        (105 * S, UP),
        (200 * S, DOWN),
    ]
    filtered = filter_blips(changes, 60 * S, 300 * S)
    assert intervals_of(filtered, DOWN, 300 * S) == [(200 * S, 300 * S)]
    assert intervals_of(filtered, UNKNOWN, 300 * S) == [(100 * S, 105 * S)]


def test_interval_arithmetic():
    a = [(0, 10), (20, 30)]
    b = [(5, 25)]
    assert iv.intersect(a, b) == [(5, 10), (20, 25)]
    assert iv.subtract(a, b) == [(0, 5), (25, 30)]
    assert iv.union([(0, 5), (5, 7), (9, 10)]) == [(0, 7), (9, 10)]
    assert iv.take_first([(0, 5), (10, 20)], 8) == [(0, 5), (10, 13)]
