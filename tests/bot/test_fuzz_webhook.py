"""Fuzz the real webhook (#16, "Prove it"): 320 signed deliveries built from Meta's real shapes
(tests/data/webhooks) with seeded mutations, posted over HTTP to gunicorn serving the app.

Asserted: no 500, the server process and its worker alive throughout, every well-formed
message of each delivery stored exactly once, and after the worker ran, each sender answered
by one burst at most (and answered at all when they wrote a plain text).
"""

from __future__ import annotations

import copy
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import port_for
import pytest
import requests
from sqlalchemy import select

from bot import simulator
from core.models import Conversation, Direction, Message
from tests.bot.conftest import PHONE_NUMBER_ID
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "data" / "webhooks"
SEED = 16
DELIVERIES = 320

# Values JSON can carry that no sane sender puts in a field. Three cannot be written by
# json.dumps: they travel as placeholders and are swapped in the bytes.
INF, BIGINT, NAN = "__FUZZ_INF__", "__FUZZ_BIGINT__", "__FUZZ_NAN__"
RAW_TOKENS = {INF: b"1e999", BIGINT: b"7" * 5000, NAN: b"NaN"}
ODD_VALUES: list[Any] = [
    "", "\x00", "a\x00b", "x" * 300, "ñ" * 5000, "\ud800", "hola \udfff", " ", "🔧" * 100,
    0, -1, 2**31, 2**63, 10**30, -1e308, 0.5, INF, BIGINT, NAN,
    True, False, None, [], {}, [[[]]], {"a": {"b": {"c": []}}}, ["x", 1, None],
]


def _deep(levels: int) -> Any:
    value: Any = "fondo"
    for _ in range(levels):
        value = [value]
    return value


def _fixture_messages() -> list[dict]:
    """Every message object of every fixture: the shapes Meta really sends."""
    found = []
    for path in sorted(FIXTURES.glob("*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            for change in entry["changes"]:
                found += change["value"].get("messages", [])
    return found


def _fixture_statuses() -> list[dict]:
    found = []
    for path in sorted(FIXTURES.glob("status*.json")):
        for entry in json.loads(path.read_text(encoding="utf-8"))["entry"]:
            for change in entry["changes"]:
                found += change["value"].get("statuses", [])
    return found


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside `value` (dict keys and list indexes)."""
    out = []
    if isinstance(value, dict):
        items = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return out
    for key, child in items:
        out.append((*prefix, key))
        out += _paths(child, (*prefix, key))
    return out


def _at(value: Any, path: tuple) -> tuple[Any, Any]:
    for key in path[:-1]:
        value = value[key]
    return value, path[-1]


def _mutate_message(rng: random.Random, msg: dict) -> None:
    """One mutation inside one message: a field replaced, removed, renamed or nested away."""
    how = rng.randrange(6)
    paths = _paths(msg)
    if how == 0 and paths:
        parent, key = _at(msg, rng.choice(paths))
        parent[key] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif how == 1 and paths:
        parent, key = _at(msg, rng.choice(paths))
        del parent[key]
    elif how == 2:
        msg[rng.choice(["id", "type", "from", "timestamp", "from_user_id"])] = copy.deepcopy(rng.choice(ODD_VALUES))
    elif how == 3:
        msg[rng.choice(["\ud83d", "x\x00", "k" * 300, "context", "errors", msg.get("type", "text")])] = (
            copy.deepcopy(rng.choice(ODD_VALUES)))
    elif how == 4:
        msg["nested"] = _deep(rng.choice([40, 300, 700]))
    else:
        msg["type"] = rng.choice(["text", "audio", "interactive", "location", "reaction", "button",
                                  "image", "contacts", "system", "order", "t" * 40])


def _delivery(rng: random.Random, n: int, shapes: list[dict], statuses: list[dict]) -> tuple[bytes, set[str], bool]:
    """(body, the wamids that must be stored, whether the sender must get an answer) for
    delivery number `n`: a plain text, untouched and recent, always gets one."""
    sender = f"549115{n:07d}"
    stale = rng.random() < 0.08
    messages = []
    for i in range(rng.randint(1, 4)):
        msg = copy.deepcopy(rng.choice(shapes))
        msg["id"] = f"wamid.FUZZ{SEED}.{n:04d}.{i}"
        msg.pop("from_user_id", None)
        msg["from"] = sender
        msg["timestamp"] = str(int(time.time() - (30 * 3600 if stale else rng.randint(0, 60))))
        messages.append(msg)
    value: dict[str, Any] = {
        "contacts": [{"profile": {"name": f"Cliente {n}"}, "wa_id": sender}],
        "messages": messages,
    }
    if rng.random() < 0.2:
        value["statuses"] = [copy.deepcopy(rng.choice(statuses))]
    payload = simulator.envelope(PHONE_NUMBER_ID, value)
    expected = {m["id"] for m in messages}

    # Which part is broken: one message (the others must still be stored), something around the
    # messages that does not make them unusable, or anywhere at all (then: only never a 500).
    where = rng.random()
    if where < 0.6:
        target = rng.randrange(len(messages))
        expected.discard(messages[target]["id"])
        for _ in range(rng.randint(1, 3)):
            _mutate_message(rng, messages[target])
    elif where < 0.8:
        choice = rng.randrange(4)
        if choice == 0:
            messages.insert(rng.randrange(len(messages) + 1), copy.deepcopy(rng.choice(ODD_VALUES)))
        elif choice == 1:
            messages.append(copy.deepcopy(rng.choice(messages)))  # a redelivery inside the delivery
        elif choice == 2:
            value["contacts"].append(copy.deepcopy(rng.choice(ODD_VALUES)))
        else:
            value["statuses"] = [copy.deepcopy(rng.choice(ODD_VALUES)), {"id": "x" * 300, "status": "read"}]
    else:
        expected = set()
        for _ in range(rng.randint(1, 3)):
            parent, key = _at(payload, rng.choice(_paths(payload)))
            parent[key] = copy.deepcopy(rng.choice(ODD_VALUES))
    body = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()
    for token, raw in RAW_TOKENS.items():
        body = body.replace(json.dumps(token).encode(), raw)
    answer = not stale and any(
        m["id"] in expected and m.get("type") == "text" and isinstance(m.get("text"), dict)
        and str(m["text"].get("body") or "").strip()
        for m in messages if isinstance(m, dict) and isinstance(m.get("id"), str))
    # a number change in the same delivery moves the conversation: the answer goes to the new
    # number, so this sender's own conversation may rightly stay unanswered
    answer = answer and not any(isinstance(m, dict) and m.get("type") == "system" for m in messages)
    return body, expected, answer


@pytest.fixture
def server(harness, tmp_path):
    """gunicorn serving the app (wsgi:app, as the Procfile runs it) with the harness's settings,
    which export_env put in the environment."""
    port = port_for.select_random()
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "wsgi:app", "--bind", f"127.0.0.1:{port}",
             "--workers", "1", "--timeout", "30", "--no-control-socket"],
            cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT, env=dict(os.environ),
        )
    url = f"http://127.0.0.1:{port}/webhooks/whatsapp"

    def started() -> str | None:
        """"up" once gunicorn answers, "exited" if it died first."""
        if proc.poll() is not None:
            return "exited"
        try:
            requests.get(url, timeout=10)
        except requests.RequestException:
            return None
        return "up"

    try:
        state = wait_until(started, 60, every=0.1, what="gunicorn to answer")
    except TimeoutError:
        state = "timed out"
    if state != "up":
        proc.kill()
        pytest.fail(f"gunicorn did not start:\n{log_path.read_text()[-2000:]}")
    try:
        yield url, proc, log_path
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _workers_of(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


def test_mutated_signed_deliveries_never_get_a_500_and_every_good_message_is_stored_once(harness, server):
    url, proc, log_path = server
    workers = _workers_of(proc.pid)
    assert len(workers) == 1
    rng = random.Random(SEED)
    shapes, statuses = _fixture_messages(), _fixture_statuses()
    session = requests.Session()
    secret = harness.settings.whatsapp_app_secret
    codes: Counter[int] = Counter()
    must_store: set[str] = set()
    texts_from: set[str] = set()
    for n in range(DELIVERIES):
        body, expected, answer = _delivery(rng, n, shapes, statuses)
        response = session.post(url, data=body, timeout=30, headers={
            "Content-Type": "application/json", "X-Hub-Signature-256": simulator.sign(secret, body)})
        codes[response.status_code] += 1
        assert response.status_code in (200, 400), (n, response.status_code, response.text[:300])
        if expected:
            assert response.status_code == 200, (n, response.text[:300])
        must_store |= expected
        if answer:
            texts_from.add(f"549115{n:07d}")
    assert proc.poll() is None and _workers_of(proc.pid) == workers, "the web process died or restarted"
    assert "Traceback" not in log_path.read_text(errors="replace")
    assert codes[200] > DELIVERIES / 2 and codes[400] > 0, codes  # the mutations hit both ways

    with harness.db.org_session(harness.org_id) as s:
        stored = Counter(s.scalars(select(Message.wa_message_id).where(
            Message.direction == Direction.INBOUND)).all())
    assert must_store <= stored.keys(), sorted(must_store - stored.keys())[:10]
    assert max(stored.values()) == 1

    # The worker answers what was stored: one burst per sender (each delivery is one burst), and
    # a plain text from a new customer always gets an answer.
    harness.work(timeout=120)
    with harness.db.org_session(harness.org_id) as s:
        replies = s.execute(
            select(Conversation.wa_id, Message.idempotency_key)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.direction == Direction.OUTBOUND)
        ).all()
    bursts_by_sender: dict[str, set[str]] = {}
    for wa_id, key in replies:
        if key and key.startswith("burst:"):
            bursts_by_sender.setdefault(wa_id, set()).add(key.split(":")[1])
    assert all(len(b) == 1 for b in bursts_by_sender.values()), {
        w: b for w, b in bursts_by_sender.items() if len(b) > 1}
    unanswered = texts_from - bursts_by_sender.keys()
    assert not unanswered, sorted(unanswered)[:10]
    assert proc.poll() is None
