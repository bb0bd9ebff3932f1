"""The residency commands: init --region, authorise-transfer, region, and import's refusal."""

from __future__ import annotations

import json

from tests.cli.conftest import Cli, url_of
from tests.cli.test_commands import assert_one_line_error


def test_init_binds_a_new_store_once_and_refuses_another_region(tmp_path):
    eu = Cli(url_of(tmp_path / "eu.db"))
    result = eu("init", "--region", "eu")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"the ledger at {eu.url} is bound to region eu\n"
    assert json.loads(eu("init", "--region", "eu", "--json").stdout)["region"] == "eu"

    assert_one_line_error(eu("init", "--region", "us"), 2, "bound to region 'eu', not 'us'")
    assert json.loads(eu("region", "--json").stdout) == {"region": "eu", "transfers": []}


def test_a_store_without_a_binding_says_so(april):
    assert "bound to no region" in april("region").stdout


def test_import_into_another_region_needs_an_authorised_transfer(april, tmp_path):
    assert april("init", "--region", "eu").exit_code == 0  # binds the existing store
    export = tmp_path / "eu.jsonl"
    us = Cli(url_of(tmp_path / "us.db"))
    assert us("init", "--region", "us").exit_code == 0

    assert april("export", str(export)).exit_code == 0
    assert_one_line_error(
        us("import", str(export)), 2, "line ", "region 'eu'", "bound to region 'us'"
    )

    authorised = april(
        "authorise-transfer", "--to", "us", "--agreement", "MSA-2026-17 §9.3", "--by", "DPO"
    )
    assert authorised.exit_code == 0, authorised.output
    assert april("export", str(export)).exit_code == 0
    imported = us("import", str(export))
    assert imported.exit_code == 0, imported.output
    shown = json.loads(us("region", "--json").stdout)
    assert shown["region"] == "us"
    assert [(t["from_region"], t["to_region"], t["agreement"]) for t in shown["transfers"]] == [
        ("eu", "us", "MSA-2026-17 §9.3")
    ]
    assert "transfer eu -> us of the whole ledger: MSA-2026-17 §9.3" in us("region").stdout
