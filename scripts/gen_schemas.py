"""Write the JSON Schema of every interchange line type to docs/schema/<Type>.json,
and the same files to sla_ledger/schema/, which the package ships (a handover
bundle copies them).

Run after changing an event: ``.venv/bin/python scripts/gen_schemas.py``; a test
fails while the published files differ from what this script would write.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from sla_ledger.adapters.jsonl_lines import event_schema
from sla_ledger.domain.events import EVENT_TYPES

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_DIR = ROOT / "docs" / "schema"
PACKAGE_SCHEMA_DIR = ROOT / "sla_ledger" / "schema"


def rendered() -> dict[str, str]:
    """File name -> content of every schema file."""
    return {
        f"{name}.json": json.dumps(event_schema(name), indent=2, ensure_ascii=False) + "\n"
        for name in sorted(EVENT_TYPES)
    }


def main() -> int:
    files = rendered()
    for folder in (SCHEMA_DIR, PACKAGE_SCHEMA_DIR):
        folder.mkdir(parents=True, exist_ok=True)
        for stale in folder.glob("*.json"):
            if stale.name not in files:
                stale.unlink()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        print(f"wrote {len(files)} schemas to {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
