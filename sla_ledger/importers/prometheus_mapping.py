"""Which ledger target and location a Prometheus series measures: the mapping file.

A TOML file (docs/importers.md has the full reference)::

    location_label = "location"          # the label naming where a probe ran from
    metrics = ["probe_success", "up"]    # series of other metrics are rejected

    [locations]                          # optional: label value -> ledger location
    "eu-central-1" = "fra"

    [[target]]                           # one per probed endpoint or instance
    match = { instance = "https://shop.example.com/healthz" }
    service = "shop"                     # component and instance: an instance target
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sla_ledger.domain.terms import Service, instance_target
from sla_ledger.exceptions import InvalidConfig, UnknownReference
from sla_ledger.importers.config import read_toml, validate


class TargetRule(BaseModel):
    """Series whose labels include every pair of ``match`` measure this target."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    match: dict[str, str] = Field(min_length=1)
    service: str
    component: str | None = None
    instance: str | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> TargetRule:
        if (self.component is None) != (self.instance is None):
            raise ValueError(
                "give both 'component' and 'instance' (an instance target), or neither "
                f"(the service's own endpoint); got component={self.component!r}, "
                f"instance={self.instance!r}"
            )
        return self

    @property
    def target(self) -> str:
        if self.component is None or self.instance is None:
            return self.service
        return instance_target(self.service, self.component, self.instance)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(name) == value for name, value in self.match.items())


class PrometheusMapping(BaseModel):
    """How the series of a ``query_range`` response become probes of ledger targets.

    Args:
        location_label: the label that names where a probe ran from (set by the
            scrape's ``relabel_configs`` or the server's ``external_labels``).
        metrics: the metric names (``__name__``) taken as probe results; a series
            without ``__name__`` (the result of a function) is taken too.
        locations: label values renamed to the ledger's location names.
        target: the rules; each series must match exactly one.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    location_label: str = Field(default="location", min_length=1)
    metrics: tuple[str, ...] = Field(default=("probe_success", "up"), min_length=1)
    locations: dict[str, str] = Field(default_factory=dict)
    target: tuple[TargetRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> PrometheusMapping:
        for index, rule in enumerate(self.target):
            for earlier in range(index):
                if self.target[earlier].match == rule.match:
                    raise ValueError(
                        f"target[{index}].match {rule.match} repeats target[{earlier}].match: "
                        "a series must match one rule only"
                    )
        return self

    @classmethod
    def load(cls, path: Path) -> PrometheusMapping:
        """Read a mapping file; ``InvalidConfig`` naming the file, each bad key and value."""
        return validate(cls, read_toml(path, InvalidConfig), str(path), InvalidConfig)

    def check(self, services: Sequence[Service], source: str = "the mapping") -> None:
        """``UnknownReference`` naming the key and value of the first rule or location
        that names something the ledger does not know."""
        known = {s.service_id: s for s in services}
        for index, rule in enumerate(self.target):
            service = known.get(rule.service)
            if service is None:
                raise UnknownReference(
                    f"{source}: target[{index}].service: unknown service {rule.service!r}; "
                    f"registered: {', '.join(sorted(known)) or 'none'} (see 'sla-ledger services')"
                )
            if rule.target not in service.targets():
                raise UnknownReference(
                    f"{source}: target[{index}]: {rule.target!r} is not a probed target of "
                    f"service {rule.service!r}; its targets: {', '.join(service.targets())}"
                )
        mapped = {rule.service for rule in self.target}
        registered = {loc for name in mapped for loc in known[name].locations}
        for value, location in self.locations.items():
            if location not in registered:
                raise UnknownReference(
                    f"{source}: locations.{value}: location {location!r} is registered for none "
                    f"of the mapped services; their locations: {', '.join(sorted(registered))}"
                )

    def resolve(self, labels: Mapping[str, str]) -> tuple[str, str] | str:
        """``(target, location)`` of a series with these labels, or why it has none."""
        name = labels.get("__name__")
        if name is not None and name not in self.metrics:
            taken = ", ".join(self.metrics)
            return f"metric {name!r} is not a probe result here: the mapping takes {taken}"
        matches = [index for index, rule in enumerate(self.target) if rule.matches(labels)]
        if not matches:
            return "no [[target]] of the mapping matches its labels"
        if len(matches) > 1:
            return (
                f"its labels match target[{matches[0]}] and target[{matches[1]}] of the "
                "mapping: make their match tables exclusive"
            )
        value = labels.get(self.location_label)
        if value is None:
            return (
                f"it has no {self.location_label!r} label (the mapping's location_label), "
                "so where it was probed from is unknown"
            )
        return self.target[matches[0]].target, self.locations.get(value, value)


def show_labels(labels: Mapping[str, str]) -> str:
    """``{instance="https://...", location="fra"}``, as Prometheus writes a series."""
    pairs = (f"{name}={json.dumps(value, ensure_ascii=False)}" for name, value in labels.items())
    return "{" + ", ".join(pairs) + "}"
