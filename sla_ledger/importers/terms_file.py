"""The terms file: services and contracts written in TOML, applied idempotently.

``[[service]]`` tables have the fields of ``sla_ledger.Service``; ``[[contract]]``
tables those of ``sla_ledger.Contract``, with ``[[contract.lines]]`` for its lines
(docs/importers.md has a full example). Durations are seconds (``60``, ``"0.5"``)
or ``"5d"``, ``"8h"``, ``"1h30m"``, ``"90s"``; money is a TOML number or string,
read as an exact decimal. Applying the same file again records nothing; a
contract whose terms changed is amended, from the next month on (R13).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar, get_args

from pydantic import BaseModel, ConfigDict, ValidationError

from sla_ledger.domain import commands, residency
from sla_ledger.domain.projection import LedgerState
from sla_ledger.domain.terms import Contract, Service
from sla_ledger.exceptions import InvalidTerms, SlaLedgerError, UnknownReference
from sla_ledger.importers.config import describe, read_toml

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$")

M = TypeVar("M", bound=BaseModel)

Action = Literal["registered", "signed", "amended", "unchanged"]


class TermsFile(BaseModel):
    """The tables of a terms file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    service: tuple[Service, ...] = ()
    contract: tuple[Contract, ...] = ()


@dataclass(frozen=True)
class TermsChange:
    """What applying one table of the file did (or, planned, will do).

    ``effective_month`` is the first month an amendment applies to.
    """

    table: str
    name: str
    action: Action
    effective_month: str | None = None


def load_terms(path: Path) -> TermsFile:
    """Read a terms file; ``InvalidTerms`` naming the table index, key and value."""
    data = read_toml(path, InvalidTerms)
    tables: dict[str, list[Any]] = {}
    for name, model in (("service", Service), ("contract", Contract)):
        entries = data.pop(name, [])
        if not isinstance(entries, list):
            raise InvalidTerms(f"{path}: {name}: expected [[{name}]] tables, got {entries!r}")
        tables[name] = [
            build(model, entry, f"{name}[{index}]", str(path))
            for index, entry in enumerate(entries)
        ]
    if data:
        raise InvalidTerms(
            f"{path}: {next(iter(data))}: unknown table; a terms file has [[service]] and "
            "[[contract]] tables"
        )
    return TermsFile(service=tuple(tables["service"]), contract=tuple(tables["contract"]))


def build(model: type[M], data: Any, path: str, source: str) -> M:
    """``model`` from a TOML table, its nested tables built first, so that an error
    names the innermost table: ``InvalidTerms`` with ``source``, ``path``, key and value."""
    if not isinstance(data, dict):
        raise InvalidTerms(f"{source}: {path}: expected a table, got {data!r}")
    fields = model.model_fields
    values = {}
    for key, value in data.items():
        field = fields.get(key)
        nested = None if field is None else _nested_model(field.annotation)
        if nested is not None and isinstance(value, list):
            value = tuple(
                build(nested, item, f"{path}.{key}[{index}]", source)
                for index, item in enumerate(value)
            )
        elif nested is not None and isinstance(value, dict):  # e.g. [contract.support]
            value = build(nested, value, f"{path}.{key}", source)
        elif field is not None and _is_duration(field.annotation):
            value = _duration(value)
        values[key] = value
    instance = model.__new__(model)
    try:
        # BaseModel's own __init__: the raw errors, not ValueObject's one-line summary.
        BaseModel.__init__(instance, **values)
    except ValidationError as error:
        raise InvalidTerms(f"{source}: {describe(error, path)}") from None
    return instance


def _is_duration(annotation: Any) -> bool:
    """A timedelta field, optional or not (``Duration | None`` keeps its Annotated form)."""
    return any(
        candidate is timedelta or (get_args(candidate) or (None,))[0] is timedelta
        for candidate in (annotation, *get_args(annotation))
    )


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def apply_terms(
    ledger: SlaLedger, terms: TermsFile | str | Path, source: str | None = None
) -> list[TermsChange]:
    """Register the file's new services, sign its new contracts and amend the changed ones.

    Everything is checked before anything is recorded; what is recorded already is
    left as it is (``unchanged``), so applying a file twice records nothing new.

    Args:
        terms: a terms file's path, or its tables read by ``load_terms``.
        source: how errors name the file; default its path.
    """
    if not isinstance(terms, TermsFile):
        source, terms = source or str(terms), load_terms(Path(terms))
    planned = plan_terms(ledger.catch_up(), terms, source or "the terms", ledger.clock.now())
    done = []
    for change, value in planned:
        if change.action == "registered":
            assert isinstance(value, Service)
            ledger.register_service(value)
        elif change.action == "signed":
            assert isinstance(value, Contract)
            ledger.sign_contract(value)
        elif change.action == "amended":
            assert isinstance(value, Contract)
            month = ledger.amend_contract(value)
            change = TermsChange(change.table, change.name, change.action, month)
        done.append(change)
    return done


def plan_terms(
    state: LedgerState, terms: TermsFile, source: str, now: datetime
) -> list[tuple[TermsChange, Service | Contract]]:
    """What applying ``terms`` will record, checked against the ledger; writes nothing."""
    planned: list[tuple[TermsChange, Service | Contract]] = []
    seen: dict[str, str] = {}
    for index, service in enumerate(terms.service):
        table = f"service[{index}]"
        _once(seen, f"service {service.service_id!r}", table, source)
        planned.append((_plan_service(state, service, table, source, now), service))
    new_services = {s.service_id for s in terms.service}
    for index, contract in enumerate(terms.contract):
        table = f"contract[{index}]"
        _once(seen, f"contract {contract.contract_id!r}", table, source)
        change = _plan_contract(state, contract, new_services, table, source)
        planned.append((change, contract))
    return planned


def _plan_service(
    state: LedgerState, service: Service, table: str, source: str, now: datetime
) -> TermsChange:
    where = f"{source}: {table}"
    existing = state.service_at(service.service_id)
    if existing is not None and existing != service:
        raise InvalidTerms(
            f"{where}: service {service.service_id!r} is registered with other terms "
            f"({_differences(existing, service)}); a service's terms cannot change: "
            "register it under a new service_id"
        )
    _checked(lambda: commands.register_service(state, service, now), where)
    action: Action = "unchanged" if existing is not None else "registered"
    return TermsChange(table, service.service_id, action)


def _plan_contract(
    state: LedgerState, contract: Contract, new_services: set[str], table: str, source: str
) -> TermsChange:
    where = f"{source}: {table}"
    for index, line in enumerate(contract.lines):
        if state.service_at(line.service) is None and line.service not in new_services:
            raise UnknownReference(
                f"{where}.lines[{index}].service: unknown service {line.service!r}; register "
                "it in a [[service]] table of the file (see 'sla-ledger services')"
            )
    name = contract.contract_id
    history = state.contracts.get(name)
    if history is None:
        what = f"contract {name!r}"
        _checked(lambda: residency.check_record(state, what, contract.region), where)
        return TermsChange(table, name, "signed")
    current = history.latest_terms()
    if current == contract:
        return TermsChange(table, name, "unchanged")
    for key in ("time_zone", "starts_at"):
        if getattr(contract, key) != getattr(history.signed, key):
            raise InvalidTerms(
                f"{where}.{key}: {getattr(contract, key)!r} differs from the signed contract's "
                f"{getattr(history.signed, key)!r}; an amendment cannot change it"
            )
    _checked(lambda: residency.check_amendment(state, contract, current), where)
    return TermsChange(table, name, "amended")


def _once(seen: dict[str, str], what: str, table: str, source: str) -> None:
    if what in seen:
        raise InvalidTerms(f"{source}: {table}: {what} is given again (first in {seen[what]})")
    seen[what] = table


def _checked(check: Any, where: str) -> None:
    try:
        check()
    except SlaLedgerError as error:
        raise type(error)(f"{where}: {error}") from None


def _differences(old: BaseModel, new: BaseModel) -> str:
    before, after = old.model_dump(mode="json"), new.model_dump(mode="json")
    changed = [k for k in sorted(before.keys() | after.keys()) if before.get(k) != after.get(k)]
    return ", ".join(f"{k}: {before.get(k)!r} -> {after.get(k)!r}" for k in changed)


def _duration(value: Any) -> Any:
    """``"1h30m"`` and whole seconds as a timedelta, a decimal as its exact text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return timedelta(seconds=value)
    if isinstance(value, Decimal):
        return format(value, "f")
    match = _DURATION.match(value) if isinstance(value, str) and value else None
    if match is None or not any(match.groups()):
        return value  # left for the field's own check, which names it
    days, hours, minutes, seconds = match.groups()
    micros = int(Decimal(seconds or 0) * 1_000_000)
    return timedelta(
        days=int(days or 0), hours=int(hours or 0), minutes=int(minutes or 0), microseconds=micros
    )
