"""Every example runs as documented and prints what it promises."""

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_billing_feed_applies_each_credit_once():
    # 8 h down of 720 h: 98.888...% -> 25 % of 2,400.00 EUR
    assert run("billing_feed.py").splitlines() == [
        "applied 1",
        "applied again 0",
        "acme 2026-04 -600.00 EUR",
    ]


def test_an_auditor_checks_a_month_from_an_export_with_hashlib_and_a_replay():
    # SPEC's first worked example: 45 min down of 720 h -> 99.8958 %, 10 % of 1,000.00 EUR
    assert run("audit_month.py").splitlines() == [
        "digest of the file matches: True",
        "replay reproduces every figure: True (1 statement)",
        "statement computed from this log: True",
        "April: 99.8958 % -> credit 100.00 EUR",
    ]
