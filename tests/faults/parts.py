"""Parts a fault test may kill and start again: a redis-server and a PostgreSQL cluster of its
own, and a look at the process tree under /proc."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from tests.waiting import wait_until

APP_ROLE, OWNER_ROLE, DBNAME = "campotech_app", "campotech_owner", "campotech_faults"
SYSTEM_ROLE = "campotech_system"  # cross-tenant work (migration 0007)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- parts that can be killed and started again on the same port -------------------------------

class RedisServer:
    """A redis-server without persistence: killing it loses everything, as a restart would."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        exe = shutil.which("redis-server")
        if exe is None:
            raise RuntimeError("redis-server not found (apt-get install redis-server)")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self.answers, 10, every=0.02, what="redis-server")
        return self

    def answers(self) -> bool:
        from redis import Redis
        from redis.exceptions import RedisError

        try:
            return bool(Redis(port=self.port, socket_connect_timeout=0.5).ping())
        except RedisError:
            return False

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


def _pg_bindir() -> str:
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.check_output([pg_config, "--bindir"], text=True).strip()
        if os.path.exists(f"{bindir}/initdb"):
            return bindir
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("initdb not found: install postgresql-15")
    return str(Path(found[-1]).parent)


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb and postgres refuse root (CI runs as root): run them as the postgres user.
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PostgresCluster:
    """A throwaway cluster of its own, with the app's two roles; stop() is a crash (immediate)."""

    def __init__(self) -> None:
        self.bindir = _pg_bindir()
        self.workdir = tempfile.mkdtemp(prefix="campotech-faults-pg-")
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.workdir, user.pw_uid, user.pw_gid)
        self.data, self.port = f"{self.workdir}/data", free_port()
        url = "postgresql+psycopg://{r}:{r}@127.0.0.1:" + f"{self.port}/{DBNAME}"
        self.app_url, self.owner_url = url.format(r=APP_ROLE), url.format(r=OWNER_ROLE)
        self.system_url = url.format(r=SYSTEM_ROLE)

    def create(self) -> PostgresCluster:
        subprocess.run(_as_postgres([f"{self.bindir}/initdb", "-D", self.data, "-A", "trust",
                                     "--no-sync", "-U", "postgres"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.start()
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            for role in (OWNER_ROLE, APP_ROLE, SYSTEM_ROLE):
                conn.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{role}' NOSUPERUSER NOBYPASSRLS")
            conn.execute(f"CREATE DATABASE {DBNAME} OWNER {OWNER_ROLE}")
        return self

    def start(self) -> None:
        # fsync=off is safe here (the machine does not crash, only PostgreSQL does), but
        # synchronous_commit must stay on: off, a crash loses commits already acknowledged,
        # i.e. messages answered 200 and replies marked sent, as no production setup would.
        options = (f"-p {self.port} -k {self.workdir} -h 127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=100")
        subprocess.run(_as_postgres([f"{self.bindir}/pg_ctl", "-D", self.data, "-w", "-l",
                                     f"{self.workdir}/log", "-o", options, "start"]),
                       check=True, stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        subprocess.run(_as_postgres([f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate",
                                     "stop"]), check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


# -- the processes ---------------------------------------------------------------------------

def _stat(pid: int) -> tuple[int, str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), fields[0]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[1] not in "ZX"


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) and stat[0] == pid:
            found.append(int(entry.name))
    return found
