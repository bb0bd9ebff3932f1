"""The documentation site covers what it must: the public API, every event schema."""

import re
from pathlib import Path

import sla_ledger

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def test_every_exported_name_has_an_api_reference_entry():
    documented = set()
    for page in (DOCS / "api").glob("*.md"):
        documented |= set(re.findall(r"^::: sla_ledger\.(\w+)$", page.read_text(), re.MULTILINE))
    missing = sorted(set(sla_ledger.__all__) - documented)
    assert not missing, f"add '::: sla_ledger.NAME' to a page under docs/api/ for {missing}"


def test_the_schema_page_links_every_published_schema():
    page = (DOCS / "schema" / "index.md").read_text()
    linked = set(re.findall(r"\]\((\w+\.json)\)", page))
    published = {path.name for path in (DOCS / "schema").glob("*.json")}
    assert linked == published


def test_the_errors_page_draws_the_tree_in_the_exceptions_module():
    page = (DOCS / "api" / "errors.md").read_text()
    [tree] = re.findall(r"```\n(SlaLedgerError\n.*?)```", page, re.DOTALL)
    lines = [line.strip() for line in sla_ledger.exceptions.__doc__.splitlines()]
    drawn = lines[lines.index("SlaLedgerError") :]
    assert tree.splitlines() == [line for line in drawn if line]
