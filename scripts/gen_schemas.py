"""Write the JSON Schema of every interchange line type to docs/schema/<Type>.json.

Run after changing an event: ``.venv/bin/python scripts/gen_schemas.py``; a test
fails while the published files differ from what this script would write.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sla_ledger.adapters.jsonl_lines import event_schema
from sla_ledger.domain.events import EVENT_TYPES

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "docs" / "schema"


def rendered() -> dict[str, str]:
    """File name -> content of every schema file."""
    return {
        f"{name}.json": json.dumps(event_schema(name), indent=2, ensure_ascii=False) + "\n"
        for name in sorted(EVENT_TYPES)
    }


def main() -> int:
    SCHEMA_DIR.mkdir(parents=True, exist_ok=True)
    files = rendered()
    for stale in SCHEMA_DIR.glob("*.json"):
        if stale.name not in files:
            stale.unlink()
    for name, text in files.items():
        (SCHEMA_DIR / name).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} schemas to {SCHEMA_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
