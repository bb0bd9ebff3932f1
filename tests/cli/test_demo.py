"""``sla-ledger demo``: the month it builds, and the figures worked out by hand.

Months (R2): Europe/Berlin's March 2026 runs from 28 Feb 23:00 UTC to 31 Mar
22:00 UTC and New York's from 1 Mar 05:00 UTC to 1 Apr 04:00 UTC; both lose an
hour to DST (29 Mar and 8 Mar), so each is 743 h = 2,674,800 s.

Monitoring sends a newly failing round at once, so probe outages are detected
5 s after they start; the auth incident was declared 5 minutes in.

acme-eu / api (4,000.00 EUR, target 99.9, default tiers):
    the 47-minute outage: 2,820 s down; the 30 s blip is filtered (R7) and
    lon's lone 20 minutes are outvoted (R3).
    (2,674,800 - 2,820) / 2,674,800 = 44533/44580 = 99.89457... -> 99.8945 %,
    not met; below 99.9 -> 10 % = 400.00 EUR.
acme-eu / platform (8,000.00 EUR, target 99.95):
    maintenance 22 Mar 01:00-03:00 UTC announced 7 days ahead qualifies (R8):
    eligible = 2,674,800 - 7,200 = 2,667,600 s. Down 01:10-03:15: inside the
    window excluded, the 15-minute overrun counts: 900 s.
    2,666,700 / 2,667,600 = 2963/2964 = 99.96626... -> 99.9662 %, met, no credit.
    db-b's 2 hours are absorbed (2 of 3 up, R4) and shown; the cache is not critical.
globex-us / api (3,000.00 USD, target 99.95, tiers 99.95 -> 5, 99.5 -> 15, 99 -> 30):
    44533/44580 as above -> 99.8945 %, not met; below 99.95 only -> 5 % = 150.00 USD.
globex-us / auth (1,500.00 USD, target 99.9, default tiers):
    incident 16:00-16:25 (1,500 s) + late maintenance's outage 03:00-03:40
    (2,400 s, 1 day of notice does not qualify) = 3,900 s down; fra and ams
    silent 08:00-08:10, their last probes at 07:59:30 go stale at 08:01:00 and
    lon alone is no quorum: 540 s unknown, counted as unavailable.
    (2,674,800 - 4,440) / 2,674,800 = 22253/22290 = 99.83400... -> 99.8340 %,
    not met; below 99.9 -> 10 % = 150.00 USD.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from sla_ledger import ManualClock, open_ledger
from sla_ledger.demo import services
from tests.cli.conftest import Cli, url_of

pytestmark = pytest.mark.slow

EXPECTED = {
    # (contract, line): (availability, shown, met, credit, down s, unknown s, excluded s)
    ("acme-eu", "api"): ("44533/44580", "99.8945", False, "400.00", "2820", "0", "0"),
    ("acme-eu", "platform"): ("2963/2964", "99.9662", True, "0.00", "900", "0", "7200"),
    ("globex-us", "api"): ("44533/44580", "99.8945", False, "150.00", "2820", "0", "0"),
    ("globex-us", "auth"): ("22253/22290", "99.8340", False, "150.00", "3900", "540", "0"),
}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo, run once: over a store holding a half-built demo, so --fresh deletes it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    ledger = open_ledger(url_of(path), clock=ManualClock(datetime(2026, 1, 1, tzinfo=UTC)))
    for service in services():
        ledger.register_service(service)
    ledger.close()
    cli = Cli(url_of(path))
    result = cli("demo", "--fresh")
    assert result.exit_code == 0, result.output
    return cli, result.stdout


def section(output: str, title: str) -> str:
    """The part of the output from a statement's title to the next one."""
    start = output.index(title)
    ends = [
        i
        for t in ("ACME GmbH ·", "Globex Corp. ·", "Credits")
        if (i := output.find(t, start + 1)) > 0
    ]
    return output[start : min(ends)]


def test_the_demo_prints_every_statement_with_its_figures(demo):
    _, out = demo
    api = section(out, "ACME GmbH · acme-eu / api")
    assert "99.8945 %" in api and "44533/44580" in api
    assert "400.00 EUR (10 % of 4,000.00 EUR)" in api
    assert "743h" in api and "CET" in api and "CEST" in api  # the DST month
    assert "2026-03-12 15:03:00 CET" in api and "47m" in api

    platform = section(out, "ACME GmbH · acme-eu / platform")
    assert "99.9662 %" in platform and "met: yes" in platform
    assert "none (no credit tier applies)" in platform
    assert "platform/db/db-b" in platform and "2h" in platform
    assert "qualifying" in platform and "168h" in platform
    assert "15m" in platform

    assert "5s" in api  # detected: monitoring sends a failing round at once, 5 s after it

    us_api = section(out, "Globex Corp. · globex-us / api")
    assert "99.8945 %" in us_api and "150.00 USD (5 % of 3,000.00 USD)" in us_api

    auth = section(out, "Globex Corp. · globex-us / auth")
    assert "99.8340 %" in auth and "150.00 USD (10 % of 1,500.00 USD)" in auth
    assert "9m (counts as unavailable)" in auth
    assert "incident" in auth and "late" in auth and "24h" in auth


def test_the_demo_prints_the_credits_feed(demo):
    _, out = demo
    credits = out[out.index("Credits") :]
    rows = [line.split() for line in credits.splitlines() if "CreditIssued" in line]
    assert [(r[2], r[3], r[5], r[6]) for r in rows] == [
        ("acme-eu", "api", "400.00", "EUR"),
        ("globex-us", "api", "150.00", "USD"),
        ("globex-us", "auth", "150.00", "USD"),
    ]


def test_the_demo_statements_match_the_figures_worked_out_by_hand(demo):
    cli, _ = demo
    for contract in ("acme-eu", "globex-us"):
        result = cli("statement", "--contract", contract, "--month", "2026-03", "--json")
        assert result.exit_code == 0, result.output
        for shown in json.loads(result.stdout):
            s = shown["statement"]
            assert shown["status"] == "issued"
            assert s["month_length"] == "2674800"
            assert (
                s["availability"],
                s["availability_percent"],
                s["met"],
                s["credit"],
                s["down"],
                s["unknown"],
                s["excluded"],
            ) == EXPECTED[(contract, s["line_id"])]
            detection = {o["cause"]: o["detection_latency"] for o in s["outages"]}
            if s["line_id"] == "api":
                assert detection == {"probes": "5"}
            if s["line_id"] == "auth":  # the operator declared the incident 5 minutes in
                assert detection == {"incident": "300", "probes": "5"}


def test_the_demo_credits_feed_resumes_after_a_position(demo):
    cli, _ = demo
    credits = json.loads(cli("credits", "--json").stdout)
    assert [c["amount"] + " " + c["currency"] for c in credits] == [
        "400.00 EUR",
        "150.00 USD",
        "150.00 USD",
    ]
    after_first = json.loads(
        cli("credits", "--after", str(credits[0]["position"]), "--json").stdout
    )
    assert after_first == credits[1:]


def test_the_demo_closes_nothing_more_later(demo):
    cli, _ = demo
    # The pilots end with March: a late close bills no month without evidence.
    result = cli("close", "--now", "2026-11-01T00:00:00Z")
    assert result.stdout == "nothing due: no statement to issue or restate\n"


def test_the_demo_refuses_a_store_that_is_not_empty(demo):
    cli, _ = demo
    result = cli("demo")
    assert result.exit_code == 2
    assert "already holds" in result.stderr and "--fresh" in result.stderr
    assert "--url sqlite:///other.db" in result.stderr


def test_fresh_never_deletes_a_store_that_is_not_a_demo(april):
    result = april("demo", "--fresh")
    assert result.exit_code == 2
    assert "not a demo" in result.stderr
    assert "Initech" in april("contracts").stdout
