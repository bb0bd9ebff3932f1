"""One interchange line <-> one event, and the published shape of every line type.

A line is the event's pydantic JSON under ``type`` and ``schema_version``,
except that a ``ProbesRecorded`` batch writes its probe instants as RFC 3339
text (``at``) and its latencies as decimal seconds (``latency``), so that every
instant in a file is RFC 3339 and every duration a decimal string.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from sla_ledger.domain import events as ev
from sla_ledger.domain.time import format_instant, to_us
from sla_ledger.domain.values import describe
from sla_ledger.exceptions import SlaLedgerError

RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$"
SECONDS = r"^\d+(\.\d{1,6})?$"
_INSTANT = re.compile(RFC3339)
_NAIVE = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$", re.IGNORECASE)
_SECONDS = re.compile(SECONDS)


class Refused(Exception):
    """Why one line cannot be imported; the importer prefixes the line number."""


def to_interchange(event: ev.DomainEvent) -> dict[str, Any]:
    """The interchange object of one event."""
    cls = type(event)
    probes = isinstance(event, ev.ProbesRecorded)
    body = event.model_dump(mode="json", exclude={"series"} if probes else None)
    line = {
        "type": cls.__name__,
        "schema_version": cls.schema_version,
        "recorded_at": body.pop("recorded_at"),
        "originator_id": body.pop("originator_id"),
        "originator_version": body.pop("originator_version"),
    }
    if isinstance(event, ev.ProbesRecorded):
        body["series"] = [_series_out(series) for series in event.series]
    return line | body


def _series_out(series: ev.ProbeSeries) -> dict[str, Any]:
    return {
        "target": series.target,
        "location": series.location,
        "at": [format_instant(at) for at in series.at],
        "ok": [bool(ok) for ok in series.ok],
        "latency": None
        if series.latency_us is None
        else [None if us is None else format_seconds(us) for us in series.latency_us],
    }


def format_seconds(us: int) -> str:
    """Microseconds as exact decimal seconds: ``120500`` -> ``"0.1205"``."""
    return f"{us // 1_000_000}.{us % 1_000_000:06d}".rstrip("0").rstrip(".")


def from_interchange(raw: str | bytes) -> ev.DomainEvent:
    """The event of one interchange line, or ``Refused`` saying what is wrong with it."""
    if not raw.strip():
        raise Refused("empty line: every line must hold one event")
    try:
        obj = json.loads(raw)
    except ValueError as error:
        raise Refused(f"malformed JSON: {error}") from None
    except RecursionError:
        raise Refused("malformed JSON: arrays or objects nested too deeply") from None
    if not isinstance(obj, dict):
        raise Refused(f"expected a JSON object, got {type(obj).__name__}")
    name = obj.pop("type", None)
    cls = ev.EVENT_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        what = 'no "type"' if name is None else f"unknown event type {name!r}"
        raise Refused(f"{what}; expected one of {', '.join(sorted(ev.EVENT_TYPES))}")
    if "schema_version" not in obj:
        raise Refused(
            f'no "schema_version"; this sla-ledger reads {name} version {cls.schema_version}'
        )
    version = obj.pop("schema_version")
    if version != cls.schema_version or isinstance(version, bool):
        raise Refused(
            f"{name} schema_version {version!r} is not supported: this sla-ledger reads "
            f"version {cls.schema_version}; upgrade sla-ledger to import this file"
        )
    for path in _instant_paths(cls):
        _check_instants(obj, path)
    if cls is ev.ProbesRecorded:
        obj["series"] = _series_in(obj.get("series"))
    try:
        return cls.model_validate(obj)
    except ValidationError as error:
        raise Refused(describe(error)) from None
    except SlaLedgerError as error:
        raise Refused(f"{name}: {error}") from None


def _series_in(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise Refused(f"ProbesRecorded.series must be a non-empty list, got {value!r}")
    return [_one_series(item, f"ProbesRecorded.series.{i}") for i, item in enumerate(value)]


def _one_series(item: object, where: str) -> dict[str, Any]:
    if not isinstance(item, dict) or not {"target", "location", "at", "ok"} <= item.keys():
        raise Refused(f"{where} must be an object with target, location, at, ok and latency")
    if extra := item.keys() - {"target", "location", "at", "ok", "latency"}:
        raise Refused(f"{where} has unknown fields {sorted(extra)}")
    at, ok, latency = item["at"], item["ok"], item.get("latency")
    if not isinstance(at, list) or not at or not isinstance(ok, list) or len(ok) != len(at):
        raise Refused(f"{where}: at and ok must be non-empty lists of the same length")
    if latency is not None and (not isinstance(latency, list) or len(latency) != len(at)):
        raise Refused(f"{where}: latency must be null or a list as long as at")
    ats = [parse_instant(text, f"{where}.at.{i}") for i, text in enumerate(at)]
    for i, outcome in enumerate(ok):
        if outcome is not True and outcome is not False:
            raise Refused(f"{where}.ok.{i}: {outcome!r} must be true or false")
    for i, (earlier, later) in enumerate(itertools.pairwise(zip(ats, ok, strict=True))):
        if earlier >= later:
            raise Refused(
                f"{where}.at.{i + 1}: {at[i + 1]!r} is not after {at[i]!r}; a series is in time "
                "order (down before up at one instant) and names each probe once"
            )
    return {
        "target": item["target"],
        "location": item["location"],
        "at": ats,
        "ok": ok,
        "latency_us": None
        if latency is None
        else [_latency(seconds, f"{where}.latency.{i}") for i, seconds in enumerate(latency)],
    }


def parse_instant(text: object, where: str) -> int:
    """Microseconds since the epoch of an RFC 3339 instant, or ``Refused``."""
    if isinstance(text, str) and _INSTANT.match(text):
        try:
            return to_us(datetime.fromisoformat(text))
        except ValueError:
            try:
                return to_us(datetime.fromisoformat(text.upper()))
            except ValueError:
                pass
    if isinstance(text, str) and _NAIVE.match(text):
        raise Refused(
            f"{where} {text!r} is a naive instant: give its offset, e.g. '{text}Z' for UTC"
        )
    raise Refused(
        f"{where} {text!r} is not an RFC 3339 instant such as '2026-04-01T00:00:30Z' "
        "(with an offset, at most microseconds)"
    )


def _latency(seconds: object, where: str) -> int | None:
    if seconds is None:
        return None
    if isinstance(seconds, str) and _SECONDS.match(seconds):
        whole, _, fraction = seconds.partition(".")
        return int(whole) * 1_000_000 + int(fraction.ljust(6, "0"))
    raise Refused(
        f"{where} {seconds!r} must be null or decimal seconds such as '0.1205' "
        "(at most microseconds)"
    )


@cache
def _instant_paths(model: type[BaseModel]) -> tuple[tuple[str, ...], ...]:
    return tuple(_paths(model, ()))


def _paths(annotation: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if annotation is AwareDatetime:
        yield path
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            yield from _paths(field.annotation, (*path, name))
    elif get_origin(annotation) in (tuple, list):
        for arg in get_args(annotation):
            yield from _paths(arg, (*path, "*"))
    else:
        for arg in get_args(annotation):
            yield from _paths(arg, path)


def _check_instants(value: object, rest: tuple[str, ...], where: tuple[str, ...] = ()) -> None:
    """Instants must be RFC 3339 text: pydantic alone would also take Unix timestamps."""
    if not rest:
        if value is not None:
            parse_instant(value, ".".join(where))
    elif rest[0] == "*":
        if isinstance(value, list):
            for index, item in enumerate(value):
                _check_instants(item, rest[1:], (*where, str(index)))
    elif isinstance(value, dict) and rest[0] in value:
        _check_instants(value[rest[0]], rest[1:], (*where, rest[0]))


# -- published shapes -----------------------------------------------------------------------

Rfc3339 = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339})
]
Seconds = Annotated[str, WithJsonSchema({"type": "string", "pattern": SECONDS})]


class ProbeSeriesLine(BaseModel):
    """The probes of one target from one location, in time order (``at``, then down before up)."""

    model_config = ConfigDict(extra="forbid", title="ProbeSeries")

    target: str
    location: str
    at: list[Rfc3339] = Field(min_length=1)
    ok: list[bool] = Field(min_length=1)
    latency: list[Seconds | None] | None = Field(
        default=None, description="decimal seconds per probe; null when none was reported"
    )


class ProbesRecordedLine(ev.DomainEvent):
    """A batch of probe results, as the interchange format writes it."""

    model_config = ConfigDict(title="ProbesRecorded")

    series: list[ProbeSeriesLine] = Field(min_length=1)


def event_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of one interchange line type (published under docs/schema/)."""
    cls = ev.EVENT_TYPES[name]
    model = ProbesRecordedLine if cls is ev.ProbesRecorded else cls
    schema = _with_instant_pattern(model.model_json_schema())
    envelope = {
        "type": {"const": name},
        "schema_version": {"const": cls.schema_version},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{name}.json",
        "description": f"One line of the sla-ledger interchange format: a {name} event.",
        **schema,
        "properties": envelope | schema["properties"],
        "required": [*envelope, *schema.get("required", [])],
    }


def _with_instant_pattern(schema: Any) -> Any:
    """Every date-time as the importer reads it: RFC 3339 with an offset, at most microseconds."""
    if isinstance(schema, list):
        return [_with_instant_pattern(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _with_instant_pattern(value) for key, value in schema.items()}
    if out.get("format") == "date-time":
        out["pattern"] = RFC3339
    return out


__all__ = [
    "Refused",
    "event_schema",
    "format_seconds",
    "from_interchange",
    "parse_instant",
    "to_interchange",
]
