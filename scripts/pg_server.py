#!/usr/bin/env python3
"""Start and stop a throwaway PostgreSQL cluster for tests (standard library only).

Usage:
    python scripts/pg_server.py start DIR    # prints the URL and writes it to DIR/url
    python scripts/pg_server.py stop DIR     # stops the server and removes its files
    python scripts/pg_server.py stop DIR --keep
    python scripts/pg_server.py bindir       # prints the server binaries' folder

The cluster lives in DIR/data, listens on 127.0.0.1 on a free port and on a Unix
socket in DIR/sock, trusts every local connection, and has a database
`sla_ledger_test`. PostgreSQL refuses to run as root, so as root the cluster is
owned and run by the OS user `postgres` (or $SLA_LEDGER_PG_OS_USER); otherwise by
the current user. Binaries are looked up in $SLA_LEDGER_PG_BINDIR, PATH,
/usr/local/bin and /usr/lib/postgresql/*/bin (version 15 first).

Exit codes: 0 ok, 1 error, 3 PostgreSQL unavailable (no binaries or no OS user).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import pwd
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = [
    "DEFAULT_DBNAME",
    "PgServerError",
    "PostgresUnavailable",
    "find_bindir",
    "start",
    "stop",
]

DEFAULT_DBNAME = "sla_ledger_test"
SUPERUSER = "postgres"
PREFERRED_MAJOR = "15"
_REQUIRED = ("initdb", "pg_ctl", "postgres")
_CONF_NAME = "throwaway.conf"
# sun_path is 108 bytes; the socket file name adds "/.s.PGSQL.NNNNN".
_MAX_SOCKET_DIR = 90


class PgServerError(RuntimeError):
    """The throwaway server could not be started or stopped."""


class PostgresUnavailable(PgServerError):
    """This machine cannot run PostgreSQL: no server binaries or no unprivileged user."""


def find_bindir() -> Path:
    """Return the folder holding initdb, pg_ctl and postgres.

    Raises:
        PostgresUnavailable: no folder holds all three.
    """
    candidates: list[Path] = []
    override = os.environ.get("SLA_LEDGER_PG_BINDIR")
    if override:
        candidates.append(Path(override))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    candidates.append(Path("/usr/local/bin"))
    versioned = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: (p.parent.name != PREFERRED_MAJOR, -_major(p.parent.name)),
    )
    candidates.extend(versioned)
    for candidate in candidates:
        if all(os.access(candidate / name, os.X_OK) for name in _REQUIRED):
            return (candidate / "initdb").resolve().parent
    searched = ", ".join(dict.fromkeys(str(c) for c in candidates))
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH nor in "
        f"{searched} or /usr/lib/postgresql/*/bin; "
        "install them with `apt-get install -y postgresql` or set SLA_LEDGER_PG_BINDIR"
    )


def start(directory: Path, *, dbname: str = DEFAULT_DBNAME, timeout: float = 60.0) -> str:
    """Create and start a cluster in `directory`, returning its URL (also in DIR/url).

    Args:
        directory: created if missing; must not already hold a cluster.
        dbname: database created in the new cluster.
        timeout: seconds to wait for the server to accept connections.

    Raises:
        PostgresUnavailable: no binaries or no unprivileged OS user.
        PgServerError: anything else went wrong; the message carries the server log.
    """
    bindir = find_bindir()
    user = _os_user()
    directory = Path(directory).absolute()
    data = directory / "data"
    if data.exists():
        raise PgServerError(
            f"{data} already exists (a cluster from an earlier start?); "
            f"run `python scripts/pg_server.py stop {directory}` or choose another folder"
        )
    if directory.exists() and any(directory.iterdir()):
        raise PgServerError(f"{directory} is not empty; give a new or empty folder")
    directory.mkdir(parents=True, exist_ok=True)
    _give_to(directory, user)
    _check_writable(directory, user)
    sockdir = _make_socket_dir(directory, user)
    _initdb(bindir, data, user)
    with (data / "postgresql.conf").open("a", encoding="utf-8") as conf:
        conf.write(f"\ninclude = '{_CONF_NAME}'\n")
    url = _start_on_free_port(bindir, directory, sockdir, user, timeout)
    _create_database(bindir, url, dbname)
    url = f"{url}/{dbname}"
    (directory / "url").write_text(url + "\n", encoding="utf-8")
    return url


def stop(directory: Path, *, remove: bool = True) -> None:
    """Stop the cluster in `directory` (if running) and, unless `remove` is false, delete it.

    Only the files that `start` made are deleted; the folder goes too when left empty.
    """
    directory = Path(directory).absolute()
    data = directory / "data"
    if (data / "postmaster.pid").exists():
        owner = data.stat().st_uid
        user = pwd.getpwuid(owner).pw_name if os.geteuid() == 0 and owner != 0 else None
        bindir = find_bindir()
        pg_ctl = str(bindir / "pg_ctl")
        fast = _run([pg_ctl, "stop", "-D", str(data), "-m", "fast", "-w", "-t", "60"], user)
        if fast.returncode != 0:
            immediate = _run([pg_ctl, "stop", "-D", str(data), "-m", "immediate", "-w"], user)
            if immediate.returncode != 0 and (data / "postmaster.pid").exists():
                raise PgServerError(f"could not stop the server in {data}:\n{immediate.stdout}")
    if not remove:
        return
    sock_link = directory / "sockdir"
    if sock_link.is_file():
        shutil.rmtree(sock_link.read_text(encoding="utf-8").strip(), ignore_errors=True)
    for name in ("data", "sock"):
        shutil.rmtree(directory / name, ignore_errors=True)
    for name in ("url", "server.log", "sockdir"):
        with contextlib.suppress(FileNotFoundError):
            (directory / name).unlink()
    with contextlib.suppress(OSError):
        directory.rmdir()


def _major(name: str) -> int:
    return int(name) if name.isdigit() else 0


def _os_user() -> str | None:
    """The OS user to run the server as, or None for the current user."""
    if os.geteuid() != 0:
        return None
    user = os.environ.get("SLA_LEDGER_PG_OS_USER", "postgres")
    try:
        pwd.getpwnam(user)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, but there is no OS user {user!r} to run PostgreSQL as "
            "(PostgreSQL refuses root); create one with "
            f"`useradd --system --shell /usr/sbin/nologin {user}` "
            "or set SLA_LEDGER_PG_OS_USER"
        ) from None
    return user


def _as_user(cmd: list[str], user: str | None) -> list[str]:
    if user is None:
        return cmd
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", user, "--", *cmd]
    return ["su", user, "-s", "/bin/sh", "-c", shlex.join(cmd)]


def _clean_env() -> dict[str, str]:
    # PG* variables (PGHOST, PGPORT, PGDATABASE, ...) would redirect the tools elsewhere.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["LC_ALL"] = "C"
    env["LANG"] = "C"
    return env


def _run(
    cmd: list[str], user: str | None, *, cwd: Path | None = None, timeout: float = 120.0
) -> subprocess.CompletedProcess[str]:
    # cwd matters as root: the postgres user may not be able to enter the caller's folder.
    try:
        return subprocess.run(
            _as_user(cmd, user),
            cwd=cwd or Path(tempfile.gettempdir()),
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise PgServerError(f"`{shlex.join(cmd)}` did not finish in {timeout:.0f} s") from None
    except OSError as exc:
        raise PgServerError(f"could not run `{shlex.join(cmd)}`: {exc}") from None


def _give_to(path: Path, user: str | None) -> None:
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)
    path.chmod(0o700)


def _check_writable(directory: Path, user: str | None) -> None:
    probe = _run(["test", "-w", str(directory), "-a", "-x", str(directory)], user)
    if probe.returncode != 0:
        who = user or "the current user"
        raise PgServerError(
            f"{who} cannot write to {directory}; a parent folder is probably not "
            "searchable by that user (e.g. /root is 0700); choose a folder under /tmp"
        )


def _make_socket_dir(directory: Path, user: str | None) -> Path:
    sockdir = directory / "sock"
    if len(str(sockdir)) > _MAX_SOCKET_DIR:
        # A Unix socket path must be short; fall back to a fresh folder in /tmp.
        sockdir = Path(tempfile.mkdtemp(prefix="pgsock-", dir="/tmp"))
        (directory / "sockdir").write_text(f"{sockdir}\n", encoding="utf-8")
    else:
        sockdir.mkdir()
    _give_to(sockdir, user)
    return sockdir


def _initdb(bindir: Path, data: Path, user: str | None) -> None:
    cmd = [str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "-A", "trust"]
    cmd += ["-E", "UTF8", "--no-locale", "--no-sync", "--no-instructions"]
    result = _run(cmd, user, cwd=data.parent)
    if result.returncode != 0:
        raise PgServerError(f"initdb failed (exit {result.returncode}):\n{result.stdout}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _write_settings(data: Path, sockdir: Path, port: int, user: str | None) -> None:
    # Durability is pointless for a throwaway cluster; turning it off makes tests faster.
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "port": str(port),
        "unix_socket_directories": f"'{sockdir}'",
        "max_connections": "200",
        "fsync": "off",
        "synchronous_commit": "off",
        "full_page_writes": "off",
        "timezone": "'UTC'",
        "log_timezone": "'UTC'",
    }
    path = data / _CONF_NAME
    path.write_text("".join(f"{k} = {v}\n" for k, v in settings.items()), encoding="utf-8")
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def _start_on_free_port(
    bindir: Path, directory: Path, sockdir: Path, user: str | None, timeout: float
) -> str:
    data = directory / "data"
    log = directory / "server.log"
    last_error = ""
    for _ in range(3):  # another process may take the port between choosing and binding
        port = _free_port()
        _write_settings(data, sockdir, port, user)
        cmd = [str(bindir / "pg_ctl"), "start", "-D", str(data), "-l", str(log)]
        cmd += ["-w", "-t", str(int(timeout)), "-s"]
        result = _run(cmd, user, cwd=directory, timeout=timeout + 30)
        if result.returncode == 0:
            _wait_until_ready(bindir, port, timeout)
            return f"postgresql://{SUPERUSER}@127.0.0.1:{port}"
        last_error = f"{result.stdout}\n--- {log} ---\n{_tail(log)}"
        if "already in use" not in last_error:
            break
        _run([str(bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate"], user)
    raise PgServerError(f"PostgreSQL did not start:\n{last_error}")


def _wait_until_ready(bindir: Path, port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    pg_isready = bindir / "pg_isready"
    while True:
        if os.access(pg_isready, os.X_OK):
            cmd = [str(pg_isready), "-q", "-h", "127.0.0.1", "-p", str(port), "-U", SUPERUSER]
            ready = _run(cmd, None).returncode == 0
        else:
            ready = _accepts_tcp(port)
        if ready:
            return
        if time.monotonic() > deadline:
            raise PgServerError(f"PostgreSQL on 127.0.0.1:{port} not ready after {timeout:.0f} s")
        time.sleep(0.1)


def _accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def _create_database(bindir: Path, url: str, dbname: str) -> None:
    createdb = bindir / "createdb"
    if os.access(createdb, os.X_OK):
        cmd = [str(createdb), "--maintenance-db", f"{url}/postgres", dbname]
    else:
        cmd = [str(bindir / "psql"), f"{url}/postgres", "-v", "ON_ERROR_STOP=1"]
        cmd += ["-c", f'CREATE DATABASE "{dbname}"']
    result = _run(cmd, None)
    if result.returncode != 0:
        raise PgServerError(f"could not create database {dbname!r}:\n{result.stdout}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True)
    start_cmd = commands.add_parser("start", help="start a cluster; prints its URL")
    start_cmd.add_argument("directory", type=Path)
    start_cmd.add_argument("--dbname", default=DEFAULT_DBNAME)
    start_cmd.add_argument("--timeout", type=float, default=60.0)
    stop_cmd = commands.add_parser("stop", help="stop a cluster and delete its files")
    stop_cmd.add_argument("directory", type=Path)
    stop_cmd.add_argument("--keep", action="store_true", help="keep the files")
    commands.add_parser("bindir", help="print the folder of the server binaries")
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            began = time.monotonic()
            url = start(args.directory, dbname=args.dbname, timeout=args.timeout)
            print(f"pg_server: started in {time.monotonic() - began:.1f} s", file=sys.stderr)
            print(url)
        elif args.command == "stop":
            stop(args.directory, remove=not args.keep)
        else:
            print(find_bindir())
    except PostgresUnavailable as exc:
        print(f"pg_server: unavailable: {exc}", file=sys.stderr)
        return 3
    except PgServerError as exc:
        print(f"pg_server: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
