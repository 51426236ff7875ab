"""`python -m bot chat`: talk to the running app's bot from a terminal, through the sandbox.

Each line you type is posted to `/sandbox/send` (which signs it and runs the real webhook); the
bot's answers are polled from `/sandbox/messages`. When an answer has buttons or a list, type
its number to tap it. Commands: /ubicacion LAT,LNG [dirección], /audio FILE, /foto FILE, /salir.
"""

from __future__ import annotations

import mimetypes
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import requests

HELP = ("Escribí y Enter para mandar. Si el bot ofrece opciones, mandá su número.\n"
        "Comandos: /ubicacion LAT,LNG [dirección] · /audio ARCHIVO · /foto ARCHIVO · /salir")


def render(message: dict) -> tuple[str, list[dict]]:
    """What a recorded outbound message looks like in a terminal, and the choices it offers."""
    payload = message["payload"]
    kind = payload.get("type")
    part = payload.get(kind) or {}
    if kind == "text":
        return part.get("body", ""), []
    if kind == "interactive":
        action = part.get("action") or {}
        if part.get("type") == "button":
            choices = [{"kind": "button", "id": b["reply"]["id"], "title": b["reply"]["title"]}
                       for b in action.get("buttons") or []]
        else:
            choices = [{"kind": "list", "id": r["id"], "title": r["title"],
                        "description": r.get("description", "")}
                       for s in action.get("sections") or [] for r in s.get("rows") or []]
        lines = [part.get("body", {}).get("text", "")]
        lines += [f"  [{n}] {c['title']}" + (f" — {c['description']}" if c.get("description") else "")
                  for n, c in enumerate(choices, 1)]
        return "\n".join(lines), choices
    return message.get("preview", ""), []


class Chat:
    def __init__(self, url: str, phone: str, name: str | None = None,
                 out: TextIO = sys.stdout, session: requests.Session | None = None):
        self.url, self.phone, self.name, self.out = url.rstrip("/"), phone, name, out
        self.http = session or requests.Session()
        self.choices: list[dict] = []
        self.since: float | None = None
        self._lock = threading.Lock()

    def _print(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def send(self, fields: dict[str, Any], file: Path | None = None) -> str | None:
        """Post one action; returns an error in Spanish, or None."""
        data = {"wa_id": self.phone, **({"name": self.name} if self.name else {}), **fields}
        try:
            if file is not None:
                mime = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
                with file.open("rb") as fh:
                    r = self.http.post(f"{self.url}/sandbox/send", data=data,
                                       files={"file": (file.name, fh, mime)}, timeout=10)
            else:
                r = self.http.post(f"{self.url}/sandbox/send", data=data, timeout=10)
        except requests.RequestException as exc:
            return f"No pude llegar a {self.url}: {exc}"
        if r.status_code != 200:
            try:
                return r.json().get("error") or f"HTTP {r.status_code}"
            except ValueError:
                return f"HTTP {r.status_code} (¿está corriendo `make run`, con el sandbox?)"
        return None

    def poll(self) -> list[dict]:
        params: dict[str, Any] = {"wa_id": self.phone}
        if self.since is not None:
            params["since"] = repr(self.since)
        r = self.http.get(f"{self.url}/sandbox/messages", params=params, timeout=10)
        r.raise_for_status()
        data = r.json()
        if self.since is None:
            self.since = data["now"]  # start from now: old answers are not news
            return []
        for m in data["messages"]:
            self.since = max(self.since, m["at"])
        return data["messages"]

    def show_new(self) -> int:
        shown = 0
        for m in self.poll():
            text, choices = render(m)
            if choices:
                self.choices = choices
            self._print(f"🤖 {text}")
            shown += 1
        return shown

    def handle(self, line: str) -> bool:
        """One typed line; False to stop."""
        line = line.strip()
        if not line:
            return True
        if line in ("/salir", "/quit", "/exit"):
            return False
        if line in ("/ayuda", "/help"):
            self._print(HELP)
            return True
        error: str | None
        if line.isdigit() and self.choices and 1 <= int(line) <= len(self.choices):
            choice = self.choices[int(line) - 1]
            self.choices = []
            error = self.send({k: choice[k] for k in ("kind", "id", "title", "description") if k in choice})
        elif line.startswith("/ubicacion"):
            parts = [p.strip() for p in line[len("/ubicacion"):].split(",")]
            if len(parts) < 2:
                error = "Usá: /ubicacion -34.58,-58.43 Gorriti 3400"
            else:
                lat, rest = parts[0], parts[1].split(" ", 1)
                error = self.send({"kind": "location", "latitude": lat, "longitude": rest[0],
                                   "address": ", ".join(([rest[1]] if len(rest) > 1 else []) + parts[2:])})
        elif line.startswith(("/audio ", "/foto ")):
            path = Path(line.split(" ", 1)[1]).expanduser()
            error = self.send({}, file=path) if path.is_file() else f"No encuentro {path}"
        else:
            error = self.send({"kind": "text", "text": line})
        if error:
            self._print(f"⚠️  {error}")
        return True

    def run(self, read: Callable[[], str] = input, interval: float = 0.5) -> int:
        try:
            self.poll()
        except requests.RequestException as exc:
            self._print(f"No pude llegar a {self.url}: {exc}. ¿Está corriendo `make run`?")
            return 1
        self._print(f"Chateando como {self.phone} con {self.url}. {HELP}")
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                try:
                    self.show_new()
                except requests.RequestException:
                    pass  # the app restarting: keep trying
                stop.wait(interval)

        threading.Thread(target=watch, daemon=True).start()
        try:
            while self.handle(read()):
                pass
        except (EOFError, KeyboardInterrupt):
            pass
        finally:
            stop.set()
            time.sleep(0)
        return 0
