"""A backup's manifest: its position runs, its own consistency, and the store it names."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from pydantic import ValidationError

from sla_ledger.audit.backup_files import LastEvent, Manifest, Source
from sla_ledger.audit.backup_store import describe
from sla_ledger.bootstrap import store_env

NOW = datetime(2026, 5, 3, tzinfo=UTC)


def manifest(positions: tuple[tuple[int, int], ...], events: int | None = None) -> Manifest:
    total = sum(count for _, count in positions) if events is None else events
    last = LastEvent(
        type="CreditIssued", originator_id=uuid4(), originator_version=2, recorded_at=NOW
    )
    return Manifest(
        created_at=NOW,
        updated_at=NOW,
        source=Source(kind="sqlite", store="/srv/ledger.db"),
        events=total,
        bytes=1000,
        sha256="0" * 64,
        digest=f"{total}:{'0' * 64}",
        positions=positions,
        first_recorded_at=NOW,
        last_event=last if total else None,
    )


def test_positions_map_to_lines_across_gaps_and_back():
    log = manifest(((1, 40), (42, 4), (50, 1)))  # positions 41 and 46-49 were never used

    assert [log.position_of(n) for n in (1, 40, 41, 44, 45)] == [1, 40, 42, 45, 50]
    assert [log.lines_through(p) for p in (0, 40, 41, 42, 49, 50, 99)] == [
        0,
        40,
        40,
        41,
        44,
        45,
        45,
    ]
    assert (log.first_position, log.last_position) == (1, 50)
    with pytest.raises(IndexError):
        log.position_of(46)


def test_an_empty_backup_has_no_positions():
    empty = manifest(())
    assert (empty.events, empty.first_position, empty.last_position) == (0, None, None)
    assert empty.lines_through(10) == 0


def test_a_manifest_whose_runs_or_digest_do_not_add_up_is_refused():
    with pytest.raises(ValidationError, match="do not add up"):
        manifest(((1, 40),), events=41)
    with pytest.raises(ValidationError, match="not in increasing order"):
        manifest(((1, 40), (40, 2)))
    with pytest.raises(ValidationError, match="digest's size"):
        Manifest.model_validate(manifest(((1, 40),)).model_dump() | {"digest": f"39:{'0' * 64}"})


def test_the_store_a_manifest_names_never_holds_a_password():
    assert describe(store_env("postgresql://ledger:s3cret@db.internal:6432/sla")) == Source(
        kind="postgresql", store="ledger@db.internal:6432/sla"
    )
    assert describe(store_env("sqlite:////srv/ledger.db")) == Source(
        kind="sqlite", store="/srv/ledger.db"
    )
