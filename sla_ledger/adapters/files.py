"""Writing an export's files whole or not at all."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def written_whole(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yields ``<path>.partial`` to write: renamed to ``path`` when the block ends, deleted
    if it fails."""
    final = Path(path)
    partial = final.with_name(final.name + ".partial")
    try:
        yield partial
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(final)
