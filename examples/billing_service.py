"""A billing service that applies the SLA credits feed to invoices exactly once.

The ledger's credits feed, ``SlaLedger.credits(after=position)``, is an ordered
log: every credit and adjustment has a position, and positions only grow. This
service keeps its own SQLAlchemy database of invoices and, next to them, the last
feed position it applied. For each credit it commits ONE transaction that

1. writes the credit line on the customer's invoice for that month, and
2. advances the stored feed position to the credit's position.

Both are committed or neither is. If the process dies anywhere between reading a
credit and committing (a crash, ``kill -9``, a deploy, a power cut), the database
rolls the half-done transaction back, the stored position still points before
that credit, and the next run reads it again. Reading is at-least-once; the
effect is exactly-once: no credit is lost and none is applied twice.

Two guards make a double booking impossible even if something goes wrong
around the feed (say the feed hands out a credit again, or a second copy of this
service runs by mistake):

- the position is read again, locked (``SELECT ... FOR UPDATE`` where the database
  has it), inside each transaction, and a credit at or before it is skipped;
- every invoice line stores the feed position it came from, under a UNIQUE
  constraint, so the database itself refuses a second line for the same credit.

Run (both URLs optional; the default ledger is ``$SLA_LEDGER_URL`` or
``sqlite:///sla-ledger.db``, the default billing database ``sqlite:///billing.db``)::

    python examples/billing_service.py sqlite:///sla-ledger.db sqlite:///billing.db --once
    python examples/billing_service.py postgresql://app@db/sla postgresql://app@db/billing --poll 60

For tests: ``BILLING_CRASH_AFTER_READ=N`` makes the process kill itself with
SIGKILL after it has read the N-th credit and written its invoice line, but
before that transaction commits.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Numeric,
    String,
    UniqueConstraint,
    create_engine,
    make_url,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    sessionmaker,
)
from sqlalchemy.types import TypeDecorator, TypeEngine

from sla_ledger import CreditEntry, SlaLedger, SlaLedgerError, open_ledger

FEED = "sla-credits"
DEFAULT_BILLING_URL = "sqlite:///billing.db"
CRASH_VARIABLE = "BILLING_CRASH_AFTER_READ"

# -- the billing database ----------------------------------------------------------------


class Money(TypeDecorator[Decimal]):
    """An exact decimal amount: NUMERIC where the database has exact decimals
    (PostgreSQL), text elsewhere (SQLite would round-trip NUMERIC through float)."""

    impl = Numeric(19, 4)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.supports_native_decimal:
            return dialect.type_descriptor(Numeric(19, 4))
        return dialect.type_descriptor(String(40))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.supports_native_decimal:
            return value
        return str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    pass


class FeedPosition(Base):
    """The last position of a feed this service has applied."""

    __tablename__ = "feed_position"

    feed: Mapped[str] = mapped_column(String(50), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger)


class Invoice(Base):
    """A customer's invoice for a month (the customer's account here is the contract).

    A real billing system would put a credit on the next open invoice; this one
    keeps an invoice per service month so that the credits are easy to follow.
    """

    __tablename__ = "invoice"
    __table_args__ = (UniqueConstraint("contract_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract_id: Mapped[str] = mapped_column(String(100))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.feed_position"
    )


class InvoiceLine(Base):
    """One credit line: a credit or adjustment from the feed, negated (it reduces the bill)."""

    __tablename__ = "invoice_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"))
    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    feed_position: Mapped[int] = mapped_column(BigInteger, unique=True)  # the second guard
    kind: Mapped[str] = mapped_column(String(30))  # CreditIssued or CreditAdjusted
    line_id: Mapped[str] = mapped_column(String(100))  # the contract line credited
    statement_version: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3))


def open_billing(url: str = DEFAULT_BILLING_URL) -> sessionmaker[Session]:
    """Connect to the billing database, create its tables if needed, return a session factory.

    ``postgresql://`` URLs use psycopg 3, which sla-ledger already depends on.
    """
    engine_url = make_url(url)
    if engine_url.drivername in ("postgresql", "postgres"):
        engine_url = engine_url.set(drivername="postgresql+psycopg")
    engine = create_engine(engine_url)
    Base.metadata.create_all(engine)
    session_factory = sessionmaker(engine, expire_on_commit=False)
    try:
        with session_factory.begin() as session:
            if session.get(FeedPosition, FEED) is None:
                session.add(FeedPosition(feed=FEED, position=0))
    except IntegrityError:
        pass  # another process created the row first
    return session_factory


def stored_position(session_factory: sessionmaker[Session]) -> int:
    """The last feed position applied."""
    with session_factory() as session:
        return _feed(session).position


def _feed(session: Session, lock: bool = False) -> FeedPosition:
    feed = session.get(FeedPosition, FEED, with_for_update=lock)
    assert feed is not None, "open_billing() creates the feed position"
    return feed


# -- applying the feed ---------------------------------------------------------------------


def apply_credits(
    ledger: SlaLedger,
    session_factory: sessionmaker[Session],
    batch: int = 100,
    before_commit: Callable[[CreditEntry], None] | None = None,
) -> list[CreditEntry]:
    """Apply every credit after the stored position, each in its own transaction.

    Returns the credits applied by this call, in feed order. Safe to call again at
    any time, and after any crash: what was committed is not read again, what was
    not committed is.

    Args:
        batch: how many credits to ask the ledger for at a time.
        before_commit: called inside each transaction, after its writes and before
            the commit (a test hook: raise, or kill the process, to see nothing half done).
    """
    applied: list[CreditEntry] = []
    while True:
        entries = ledger.credits(after=stored_position(session_factory), limit=batch)
        for entry in entries:
            if _apply(session_factory, entry, before_commit):
                applied.append(entry)
        if len(entries) < batch:
            return applied


def _apply(
    session_factory: sessionmaker[Session],
    entry: CreditEntry,
    before_commit: Callable[[CreditEntry], None] | None,
) -> bool:
    """Book one credit and advance the position, in one transaction. False if booked before."""
    with session_factory.begin() as session:  # commits at the end, rolls back on any error
        feed = _feed(session, lock=True)  # read again, inside the transaction
        if entry.position <= feed.position:
            return False  # handed out again: it is on an invoice already
        invoice = session.scalars(
            select(Invoice).where(
                Invoice.contract_id == entry.contract_id, Invoice.month == entry.month
            )
        ).one_or_none()
        if invoice is None:
            invoice = Invoice(contract_id=entry.contract_id, month=entry.month)
            session.add(invoice)
        session.add(
            InvoiceLine(
                invoice=invoice,
                feed_position=entry.position,
                kind=entry.kind,
                line_id=entry.line_id,
                statement_version=entry.statement_version,
                amount=-entry.amount,
                currency=entry.currency,
            )
        )
        feed.position = entry.position
        if before_commit is not None:
            session.flush()  # the writes are in the database, not yet committed
            before_commit(entry)
    return True


# -- the command line ----------------------------------------------------------------------


def crash_after_read(n: int) -> Callable[[CreditEntry], None]:
    """A ``before_commit`` hook that SIGKILLs this process on the n-th credit it reads."""
    seen = 0

    def hook(entry: CreditEntry) -> None:
        nonlocal seen
        seen += 1
        if seen == n:
            print(f"crashing before committing position {entry.position}", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Apply the SLA credits feed to invoices, exactly once.",
        epilog="example: python examples/billing_service.py sqlite:///sla-ledger.db "
        "sqlite:///billing.db --poll 60",
    )
    parser.add_argument(
        "ledger_url",
        nargs="?",
        help="the ledger (default $SLA_LEDGER_URL or sqlite:///sla-ledger.db)",
    )
    parser.add_argument(
        "billing_url", nargs="?", default=DEFAULT_BILLING_URL, help="the billing database"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="apply what is new and exit (default)")
    mode.add_argument("--poll", type=float, metavar="SECONDS", help="apply, wait, repeat")
    args = parser.parse_args(argv)

    crash = os.environ.get(CRASH_VARIABLE)
    hook = crash_after_read(int(crash)) if crash else None
    try:
        ledger = open_ledger(args.ledger_url)
        session_factory = open_billing(args.billing_url)
        while True:
            applied = apply_credits(ledger, session_factory, before_commit=hook)
            for entry in applied:
                print(
                    f"applied {entry.position} {entry.kind} {entry.contract_id}/{entry.line_id} "
                    f"{entry.month} {-entry.amount} {entry.currency}",
                    flush=True,
                )
            if applied or args.poll is None:
                position = stored_position(session_factory)
                print(f"applied {len(applied)} credit(s); feed position {position}", flush=True)
            if args.poll is None:
                return 0
            time.sleep(args.poll)
    except KeyboardInterrupt:
        return 0
    except (SlaLedgerError, SQLAlchemyError) as error:
        print(f"billing_service: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
