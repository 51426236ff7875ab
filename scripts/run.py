"""`make run`: migrate and seed the local database, make sure Redis answers, start the Procfile.

Ctrl-C (or SIGTERM) stops honcho, which stops web, worker, transcriber, scheduler and clock,
and then the redis-server we started, so nothing is left running. Each Procfile line runs under
`workers.supervise`, which restarts its process when it exits on its own, so one crash never
makes honcho stop the others. The Whisper model is assembled here first (once per machine), so
the transcriber only loads and warms it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from honcho.environ import parse as parse_env_file
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import make_url

from core import migrate
from core.db import Database
from core.organizations.demo import DemoSeed, seed_demo
from core.settings import Settings, get_settings
from nlu.whisper_files import ModelFilesError, ensure_model

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8000
VENV_BIN = Path(sys.executable).parent
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class Stop(Exception):
    """Ctrl-C, SIGTERM or SIGHUP: stop everything we started."""


def say(message: str) -> None:
    print(f"campotech: {message}", flush=True)


def load_dotenv() -> None:
    """Fill unset variables from ./.env, so the real environment always wins."""
    path = ROOT / ".env"
    if path.exists():
        for key, value in parse_env_file(path.read_text()).items():
            os.environ.setdefault(key, value)


def redis_answers(url: str) -> bool:
    try:
        return bool(Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except RedisError:
        return False


class Children:
    """The processes we started, stopped in reverse order: honcho (and so the Procfile), then Redis."""

    def __init__(self) -> None:
        self._started: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, argv: list[str], **kwargs) -> subprocess.Popen:
        # A session of its own: a terminal's Ctrl-C reaches it only through us, in order.
        proc = subprocess.Popen(argv, cwd=ROOT, start_new_session=True, **kwargs)
        self._started.append((name, proc))
        return proc

    def stop_all(self, grace: float = 15) -> None:
        for name, proc in reversed(self._started):
            if proc.poll() is not None:
                continue
            proc.terminate()  # honcho answers SIGTERM by stopping every Procfile process
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                say(f"{name} did not stop in {grace:.0f} s; killing it")
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def start_redis(settings: Settings, children: Children) -> None:
    """Start a throwaway redis-server for REDIS_URL unless one answers there already."""
    url = settings.redis_url
    if redis_answers(url):
        say(f"using the Redis already running at {url}")
        return
    parts = urlsplit(url)
    if parts.scheme != "redis" or parts.hostname not in LOCAL_HOSTS:
        sys.exit(f"campotech: no Redis answers at {url}; start it or point REDIS_URL elsewhere")
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("campotech: redis-server is not installed (apt-get install redis-server)")
    port = parts.port or 6379
    (ROOT / "var").mkdir(exist_ok=True)
    log = ROOT / "var" / "redis.log"
    say(f"starting redis-server on port {port} (log: {log.relative_to(ROOT)})")
    proc = children.start(
        "redis-server",
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(ROOT / "var"), "--loglevel", "warning", "--logfile", str(log)],
    )
    deadline = time.monotonic() + 10
    while not redis_answers(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log.read_text(errors="replace").splitlines()[-5:] if log.exists() else []
            sys.exit("\n".join([f"campotech: redis-server did not start on port {port}:", *tail]))
        time.sleep(0.05)


def prepare_whisper(settings: Settings) -> None:
    """Join the bundled model's parts (once: ~145 MB) before the transcriber starts; without the
    packages everything else still runs."""
    try:
        say(f"whisper model ready in {ensure_model(settings.whisper_model_dir)}")
    except ModelFilesError as exc:
        say(f"voice notes cannot be transcribed: {exc}")


def start_processes(port: int, settings: Settings, children: Children) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        PORT=str(port),
        REDIS_URL=settings.redis_url,
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
        PYTHONUNBUFFERED="1",
    )
    # The sandbox's Graph stand-in lives on this server: the sender must call this port.
    env.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{port}")
    # .env was merged into our environment already, with the real environment taking
    # precedence; honcho would let .env override it, so it reads no env file itself.
    return children.start(
        "honcho",
        [str(VENV_BIN / "honcho"), "start", "-f", "Procfile", "--port", str(port), "--env", os.devnull],
        env=env,
    )


def wait_until_healthy(url: str, honcho: subprocess.Popen, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and honcho.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.25)
    return False


def print_banner(port: int, seed: DemoSeed) -> None:
    from bot.simulator import DEMO_CUSTOMER
    from core.organizations.demo import DEMO_OWNER_PHONE, DEMO_TECHNICIANS

    base = f"http://127.0.0.1:{port}"
    say(f"home: {base}/  back-office: {base}/app/login  (health: {base}/healthz)")
    say(f"WhatsApp sandbox: {base}/sandbox  "
        f"(terminal: .venv/bin/python -m bot chat --phone {DEMO_CUSTOMER} --url {base})")
    say("write in the sandbox as (organization 'Plomería y Gas Demo'):")
    say(f"  customer    {DEMO_CUSTOMER}  (any other number is a new customer)")
    say(f"  owner       {DEMO_OWNER_PHONE.lstrip('+')}  try 'resumen', 'quién me debe'")
    for name, phone, on_call in DEMO_TECHNICIANS:
        role = "technician" + ("*" if on_call else " ")
        say(f"  {role:<11} {phone.lstrip('+')}  {name}: try 'qué tengo hoy', 'terminé, cobrale 15 lucas'")
    say("  (* on call: emergencies go to them first)")
    say("back-office logins:")
    for login in seed.logins:
        say(f"  {login.role:<6} {login.email}  password: {login.password}")
    say("press Ctrl-C to stop")


def _raise_stop(signum, _frame) -> None:
    raise Stop(signal.Signals(signum).name)


def main() -> int:
    load_dotenv()
    settings = get_settings()
    try:
        port = int(os.environ.get("PORT") or DEFAULT_PORT)
    except ValueError:
        sys.exit(f"campotech: invalid configuration: PORT: not a number: {os.environ['PORT']!r}")

    migrate.upgrade(settings)
    say(f"database migrated: {make_url(settings.database_url).render_as_string(hide_password=True)}")
    db = Database(settings)
    try:
        seed = seed_demo(db, settings.whatsapp_phone_number_id)
    finally:
        db.dispose()
    say(str(seed))

    # Explicit, because a process started in the background inherits SIGINT ignored.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _raise_stop)
    prepare_whisper(settings)
    children = Children()
    try:
        start_redis(settings, children)
        honcho = start_processes(port, settings, children)
        if wait_until_healthy(f"http://127.0.0.1:{port}/healthz", honcho):
            print_banner(port, seed)
        elif honcho.poll() is None:
            say(f"web is not healthy yet; see the log above (http://127.0.0.1:{port}/healthz)")
        return honcho.wait()
    except Stop as signal_name:
        say(f"{signal_name} received, stopping")
        return 0
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave orphans; it is bounded anyway.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        children.stop_all()
        say("stopped")


if __name__ == "__main__":
    sys.exit(main())
