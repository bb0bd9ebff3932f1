"""Fuzzing the command line: random command lines over every subcommand, with options
and values drawn from plausible and hostile pools (missing files, bad URLs, bad months
and instants, huge and control-character text).

Every run exits with 0, 1, 2 or 3, never shows a traceback, and raises nothing but
``SystemExit``; a run that fails leaves the store's log digest as it was, and the
store verifies.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import click
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sla_ledger import ManualClock, open_ledger
from sla_ledger.cli import main
from tests.reliability.fuzz import counter
from tests.reliability.fuzz.world import NOW, Template
from tests.reliability.profile import sized

PLAIN = {"FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1", "COLUMNS": "120"}
SKIPPED = {"demo"}  # builds a month of probes: seconds per run; covered by tests/cli


def _commands(
    group: click.Group, path: tuple[str, ...] = ()
) -> dict[tuple[str, ...], click.Command]:
    found: dict[tuple[str, ...], click.Command] = {}
    for name, command in group.commands.items():
        if name in SKIPPED:
            continue
        if isinstance(command, click.Group):
            found |= _commands(command, (*path, name))
        else:
            found[(*path, name)] = command
    return found


COMMANDS = _commands(main)
TEXT = st.one_of(
    st.sampled_from(
        [
            "c1",
            "c2",
            "core",
            "db",
            "web",
            "api",
            "sev1",
            "eu",
            "us",
            "Initech",
            "customer-caused",
            "2026-04",
            "2026-13",
            "0000-01",
            "9999-12",
            "april",
            "2026-04-01T00:00:00Z",
            "2026-04-01T00:00:00",
            "2026-04-01",
            "now",
            "-1",
            "0",
            "1",
            "19",
            "99999999999999999999",
            "1:abc",
            "19:" + "0" * 64,
            "",
            " ",
            "\x00",
            "\x1b[31m",
            "é",
            "--json",
            "-",
            "../../etc/passwd",
        ]
    ),
    st.text(max_size=20),
    st.builds(lambda c, n: c * n, st.sampled_from(["a", "💥"]), st.integers(100, 5000)),
)
URLS = st.sampled_from(
    [
        "memory://",
        "sqlite://",
        "sqlite:///",
        "ftp://x",
        "postgresql://",
        "postgresql://nobody@127.0.0.1:1/x",
        "sqlite:////nonexistent/dir/x.db",
        "not a url",
        "",
    ]
)


@st.composite
def command_lines(draw, files: dict[str, Path]) -> list[str]:
    path = draw(st.sampled_from(sorted(COMMANDS)))
    command = COMMANDS[path]
    words = list(path)
    paths = st.sampled_from([*map(str, files.values()), "/nonexistent/file", "/", ""])
    for param in draw(st.lists(st.sampled_from(command.params), max_size=6)):
        values = st.one_of(TEXT, paths)
        if isinstance(param.type, click.Choice):
            values = st.one_of(st.sampled_from(list(param.type.choices)), TEXT)
        if isinstance(param, click.Option):
            opt = draw(st.sampled_from(param.opts))
            if param.is_flag:
                words.append(opt)
            elif opt == "--url":
                words += [opt, draw(URLS)]
            else:
                words += [opt, draw(values)]
        else:
            words.append(draw(values))
    if draw(st.integers(0, 9)) == 0:
        words.insert(draw(st.integers(0, len(words))), draw(TEXT))
    return words


def _files(directory: Path) -> dict[str, Path]:
    files = {
        "csv": "timestamp,target,location,ok\n2026-05-20T11:00:00Z,web,fra,1\n",
        "jsonl": '{"type": "LedgerBound"}\n',
        "toml": 'location_label = "location"\n[[target]]\nmatch = { a = "b" }\nservice = "web"\n',
        "json": '{"status": "success", "data": {"resultType": "matrix", "result": []}}',
        "binary": "\x00\xff\xfe",
    }
    for name, text in files.items():
        (directory / f"f.{name}").write_text(text, encoding="utf-8", errors="surrogateescape")
    return {name: directory / f"f.{name}" for name in files} | {"dir": directory}


@settings(max_examples=sized(40, 2000))
@given(data=st.data())
def test_a_random_command_line_exits_cleanly_and_changes_nothing_when_it_fails(
    world: Template, data, tmp_path_factory
) -> None:
    counter.count()
    directory = tmp_path_factory.mktemp("cli")
    args = data.draw(command_lines(_files(directory)))
    path = world.copy_file(directory)
    store = f"sqlite:///{path}"
    try:
        before = _digest(store)
        with contextlib.chdir(directory):  # relative paths land there
            result = CliRunner(env=PLAIN).invoke(main, ["--url", store, *args])
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            repr(result.exception),
            args,
        )
        assert result.exit_code in (0, 1, 2, 3), (result.exit_code, args)
        assert "Traceback" not in result.output, result.output[-2000:]
        if result.exit_code != 0:
            assert _digest(store) == before, args
    finally:
        shutil.rmtree(directory)


def _digest(store: str):
    ledger = open_ledger(store, clock=ManualClock(NOW))
    try:
        return ledger.digest()
    finally:
        ledger.close()
