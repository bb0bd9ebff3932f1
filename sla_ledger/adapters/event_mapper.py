"""Stores domain events as their pydantic JSON, under a stable type name.

eventsourcing's default mapper stores a class's module path as the topic and
its ``__dict__`` as state; ours stores the event type's name (the same name
the interchange format uses) and the pydantic JSON, so stored events survive
refactoring and decode in one pass in pydantic's Rust core. Probe batches are
stored with packed columns (``probe_columns``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, MapperDeserialisationError, StoredEvent, Transcoder

from sla_ledger.adapters import probe_columns
from sla_ledger.domain.events import EVENT_TYPES, DomainEvent, ProbesRecorded


class NoTranscoder(Transcoder):
    """Events serialise themselves (pydantic); the mapper needs no transcoder."""

    def encode(self, obj: Any) -> bytes:
        raise NotImplementedError  # abstract: never called

    def decode(self, data: bytes) -> Any:
        raise NotImplementedError  # abstract: never called


class PydanticMapper(Mapper[UUID]):
    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        event: DomainEvent = domain_event
        if isinstance(event, ProbesRecorded):
            state = probe_columns.encode(event)
        else:
            state = event.model_dump_json().encode()
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=type(event).__name__,
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        return decode(
            self,
            stored_event.topic,
            stored_event.originator_id,
            stored_event.originator_version,
            stored_event.state,
        )


def decode(
    mapper: Mapper[UUID], topic: str, originator_id: Any, version: int, state: bytes
) -> DomainEvent:
    try:
        cls = EVENT_TYPES[topic]
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        if cls is ProbesRecorded:
            return probe_columns.decode(state)
        return cls.model_validate_json(state)
    except Exception as error:
        raise MapperDeserialisationError(
            f"cannot decode stored event {topic!r} of stream {originator_id} "
            f"version {version}: {error}"
        ) from error
