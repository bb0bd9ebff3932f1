"""Encryption at rest of stored events: AES-GCM through eventsourcing's cipher.

The key is the base64 of 16, 24 or 32 random bytes (``new_key`` makes a
32-byte one), from ``$SLA_LEDGER_CIPHER_KEY``. The cipher is
``eventsourcing.cryptography:AESCipher``, on the ``cryptography`` package
(``pip install 'sla-ledger[encryption]'``). A store is encrypted whole or not
at all: opening one checks that its first and last events read with the key
given, or without one. docs/encryption.md says what stays in clear.
"""

from __future__ import annotations

import binascii
import json
from base64 import b64decode
from typing import TYPE_CHECKING

from eventsourcing.persistence import MapperDeserialisationError, Notification

from sla_ledger.adapters.event_mapper import NoTranscoder, PydanticMapper, decode
from sla_ledger.exceptions import StoreError

if TYPE_CHECKING:
    from sla_ledger.application import SlaLedger

KEY_VARIABLE = "SLA_LEDGER_CIPHER_KEY"
CIPHER_TOPIC = "eventsourcing.cryptography:AESCipher"
KEY_SIZES = (16, 24, 32)
_INSTALL = "pip install 'sla-ledger[encryption]'"


def cipher_env(key: str | None) -> dict[str, str]:
    """The eventsourcing settings for ``key``; none (whatever the process environment
    says about eventsourcing's own ``CIPHER_*`` variables) when ``key`` is empty."""
    if not key:
        return {"CIPHER_TOPIC": "", "CIPHER_KEY": ""}
    key = key.strip()
    check_key(key)
    _require_cryptography()
    return {"CIPHER_TOPIC": CIPHER_TOPIC, "CIPHER_KEY": key}


def check_key(key: str) -> None:
    """``StoreError`` unless ``key`` is the base64 of 16, 24 or 32 bytes.

    The message never repeats the key: it is a secret.
    """
    try:
        size = len(b64decode(key.encode("ascii"), validate=True))
    except (binascii.Error, UnicodeEncodeError):
        raise StoreError(
            f"{KEY_VARIABLE} is not base64: expected the base64 of 32 random bytes "
            "(44 characters ending in '='); make one with 'sla-ledger keygen'"
        ) from None
    if size not in KEY_SIZES:
        raise StoreError(
            f"{KEY_VARIABLE} decodes to {size} bytes: expected 16, 24 or 32 (AES-128, -192 "
            "or -256); make a 32-byte key with 'sla-ledger keygen'"
        )


def new_key() -> str:
    """A new random AES-256 key, base64, for ``$SLA_LEDGER_CIPHER_KEY``."""
    _require_cryptography()
    from eventsourcing.cryptography import AESCipher

    return AESCipher.create_key(32)


def _require_cryptography() -> None:
    try:
        import cryptography  # noqa: F401
    except ImportError:
        raise StoreError(
            f"{KEY_VARIABLE} is set but encryption needs the 'cryptography' package: {_INSTALL}"
        ) from None


def check_readable(ledger: SlaLedger, encrypted: bool) -> None:
    """``StoreError`` unless the store's first and last events decode with ``ledger``'s
    cipher (or without one): a store read with no key or the wrong one must fail here,
    before anything is read as empty or written in the other form."""
    recorder = ledger.recorder
    last = recorder.max_notification_id()
    if not last:
        return  # empty: the first write decides
    for start in dict.fromkeys((1, last)):
        for notification in recorder.select_notifications(start=start, limit=1):
            try:
                ledger.mapper.to_domain_event(notification)
            except MapperDeserialisationError:
                raise StoreError(_unreadable(notification, encrypted)) from None


def _unreadable(notification: Notification, encrypted: bool) -> str:
    where = f"stored event {notification.id} ({notification.topic})"
    if not encrypted:
        try:
            json.loads(notification.state)
        except ValueError:  # ciphertext is never JSON; our plaintext always is
            return f"{where} is encrypted: set {KEY_VARIABLE} to the key the store was written with"
        return f"cannot decode {where}: the store is damaged"
    plain = PydanticMapper(transcoder=NoTranscoder())
    try:
        decode(plain, notification.topic, None, notification.originator_version, notification.state)
    except MapperDeserialisationError:
        return (
            f"cannot decrypt {where} with the key in {KEY_VARIABLE}: the store was written "
            "with another key, or the event was altered"
        )
    return (
        f"the store is not encrypted but {KEY_VARIABLE} is set: unset it to open this store "
        "(to encrypt it, export it and import the export into a new store opened with the key)"
    )
