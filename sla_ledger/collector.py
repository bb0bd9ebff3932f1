"""Pausing Python's cyclic garbage collector while a fold builds a large state.

A fold allocates millions of long-lived values and frees none; a full
collection meanwhile would walk them all, again and again, for nothing.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block (reference counting goes on)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
