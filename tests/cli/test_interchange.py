"""`export` and `import`: a ledger round-trips through JSON Lines; bad files change nothing."""

from __future__ import annotations

import json

from tests.cli.conftest import Cli, url_of


def figures(cli: Cli) -> list[dict]:
    result = cli("statement", "--contract", "c1", "--month", "2026-04", "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_export_imported_into_an_empty_store_reproduces_every_figure(april, tmp_path):
    april("close", "--now", "2026-05-02T01:00:00Z")
    exported = tmp_path / "april.jsonl"
    result = april("export", str(exported))
    assert result.exit_code == 0, result.output
    events = len(exported.read_text().splitlines())
    assert result.stdout == f"exported {events} events to {exported}\n"

    copy = Cli(url_of(tmp_path / "copy.db"))
    result = copy("import", str(exported), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"file": str(exported), "lines": events, "events": events}
    assert figures(copy) == figures(april)
    assert copy("credits", "--json").stdout == april("credits", "--json").stdout


def test_a_malformed_line_is_refused_with_its_number_and_nothing_is_written(april, tmp_path):
    exported = tmp_path / "april.jsonl"
    april("export", str(exported))
    lines = exported.read_text().splitlines()
    lines[1] = lines[1][:-1]  # cut the closing brace of the second line
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n")

    copy = Cli(url_of(tmp_path / "copy.db"))
    result = copy("import", str(broken))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: line 2: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert copy("services", "--json").stdout.strip() == "[]"
