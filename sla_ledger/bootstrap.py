"""Wiring in one place: a store URL becomes a ready ``SlaLedger``.

``sqlite:///path.db`` (the embedded default), ``memory://`` (a private
in-memory SQLite database) and ``postgresql://user:password@host:port/dbname``.
Stored events are encrypted when ``$SLA_LEDGER_CIPHER_KEY`` holds a key
(docs/encryption.md).
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlsplit
from uuid import uuid4

from sla_ledger.adapters.encryption import KEY_VARIABLE, check_readable, cipher_env
from sla_ledger.application import SlaLedger
from sla_ledger.clock import Clock
from sla_ledger.exceptions import StoreError

DEFAULT_URL = "sqlite:///sla-ledger.db"
URL_VARIABLE = "SLA_LEDGER_URL"


def default_url() -> str:
    """The store URL from ``$SLA_LEDGER_URL``, else an SQLite file in the working directory."""
    return os.environ.get(URL_VARIABLE) or DEFAULT_URL


def open_ledger(
    url: str | None = None,
    clock: Clock | None = None,
    region: str | None = None,
    cipher_key: str | None = None,
) -> SlaLedger:
    """Open (creating if needed) the ledger stored at ``url``.

    Args:
        url: a store URL; default ``$SLA_LEDGER_URL`` or ``sqlite:///sla-ledger.db``.
        clock: where knowledge time comes from; default the system clock (UTC).
        region: the data-residency region the store is bound to. A store without a
            binding is bound to it now; one bound to another region raises
            ``ResidencyViolation``. Default: whatever the store is bound to, if anything.
        cipher_key: encrypt stored events with this key (base64 of 16, 24 or 32 bytes);
            default ``$SLA_LEDGER_CIPHER_KEY``; empty: no encryption. ``StoreError`` when
            the store was written with another key, or encrypted and no key is given.
    """
    key = os.environ.get(KEY_VARIABLE, "") if cipher_key is None else cipher_key
    ledger = SlaLedger(env=store_env(url or default_url(), key), clock=clock)
    try:
        check_readable(ledger, encrypted=bool(key))
        if region is not None:
            ledger.bind_region(region)
    except BaseException:
        ledger.close()
        raise
    return ledger


def store_env(url: str, cipher_key: str | None = None) -> dict[str, str]:
    """The eventsourcing environment for a store URL (and a cipher key, if any)."""
    return {**_persistence_env(url), **cipher_env(cipher_key)}


def _persistence_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return _sqlite(f"file:sla-ledger-{uuid4().hex}?mode=memory&cache=shared")
    if parts.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise StoreError(
                f"invalid SQLite URL {url!r}: expected sqlite:///relative.db or sqlite:////absolute.db"
            )
        return _sqlite(path)
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.path.strip("/"):
            raise StoreError(
                f"PostgreSQL URL {url!r} names no database: expected postgresql://user@host:5432/dbname"
            )
        return {
            "PERSISTENCE_MODULE": "sla_ledger.adapters.postgres_store:PostgresLedgerFactory",
            "POSTGRES_DBNAME": unquote(parts.path.strip("/")),
            "POSTGRES_HOST": parts.hostname or "localhost",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or ""),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
            # Its insert functions skip the table lock that orders log positions by commit
            # (backups rely on it) and the probe index: never, whatever the environment says.
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "CREATE_TABLE": "y",
        }
    raise StoreError(
        f"unsupported store URL {url!r}: expected sqlite:///FILE.db, memory:// or postgresql://..."
    )


def _sqlite(db_name: str) -> dict[str, str]:
    return {
        "PERSISTENCE_MODULE": "sla_ledger.adapters.sqlite_store:SqliteLedgerFactory",
        "SQLITE_DBNAME": db_name,
        "SQLITE_LOCK_TIMEOUT": "30",
        "CREATE_TABLE": "y",
    }
