"""Write probe_success.json: what Prometheus answers for October 2026's blackbox probes.

    python examples/prometheus/generate.py      # rewrites probe_success.json beside it

The body of ``GET /api/v1/query_range?query=probe_success&start=2026-10-01T00:00:00Z
&end=2026-10-31T23:59:00Z&step=60s`` for two endpoints probed every 60 s by blackbox
exporters in three locations (the scrape job's relabelling adds a ``location`` label):

- https://shop.example.com/healthz fails from every location on 14 October,
  09:12 to 10:03 UTC: 51 minutes down, so the storefront line of terms.toml gets
  44,589/44,640 = 99.8857 % (below its 99.9 % target) and a 10 % credit, 200.00 EUR;
- https://api.example.com/v1/health fails from sin alone on 7 October, 03:00 to
  03:20 UTC: one location of three is no quorum, so the api line stays at 100 %.

The output is the same on every run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 10, 1, tzinfo=UTC)
STEP = timedelta(seconds=60)
SAMPLES = 31 * 24 * 60  # October: 744 hours of minutes
LOCATIONS = ("ams", "fra", "sin")  # Prometheus sorts series by their labels
ENDPOINTS = {
    "https://api.example.com/v1/health": ({"sin"}, datetime(2026, 10, 7, 3, tzinfo=UTC), 20),
    "https://shop.example.com/healthz": (
        set(LOCATIONS),
        datetime(2026, 10, 14, 9, 12, tzinfo=UTC),
        51,
    ),
}


def series(instance: str, location: str) -> str:
    failing, since, minutes = ENDPOINTS[instance]
    first = int((since - START) / STEP) if location in failing else SAMPLES
    start = int(START.timestamp())
    values = ",".join(
        f'[{start + 60 * i},"{0 if first <= i < first + minutes else 1}"]' for i in range(SAMPLES)
    )
    labels = {
        "__name__": "probe_success",
        "instance": instance,
        "job": "blackbox",
        "location": location,
        "module": "http_2xx",
    }
    return f'{{"metric":{json.dumps(labels, separators=(",", ":"))},"values":[{values}]}}'


def response() -> str:
    result = ",".join(series(i, loc) for i in sorted(ENDPOINTS) for loc in LOCATIONS)
    return f'{{"status":"success","data":{{"resultType":"matrix","result":[{result}]}}}}\n'


if __name__ == "__main__":
    Path(__file__).with_name("probe_success.json").write_text(response())
