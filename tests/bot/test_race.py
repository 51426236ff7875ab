"""Two real RQ workers and two burst clocks, several senders at once: one reply per burst."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from rq import Queue
from sqlalchemy import select

from core.models import Conversation, Message, Organization
from services.dispatch import Dispatcher
from services.queues import QUEUE_NAMES
from tests.background import idle
from tests.bot.conftest import PHONE_NUMBER_ID
from tests.waiting import settled, wait_until

ROOT = Path(__file__).resolve().parents[2]
SENDERS = [f"54911600000{n:02d}" for n in range(6)]


def _start(log: Path, *args: str) -> subprocess.Popen:
    # Logs to a file, never to a pipe nobody reads while the test runs: a process whose pipe
    # is full blocks in the middle of its work (holding its locks) and takes the test with it.
    with log.open("ab") as out:
        return subprocess.Popen([*args], cwd=ROOT, env=os.environ.copy(),
                                stdout=subprocess.DEVNULL, stderr=out)


def _quiet(redis) -> bool:
    """Nothing due, queued, scheduled or running: whatever the workers had to send is sent."""
    return idle(redis) and not any(Queue(q, connection=redis).started_job_registry.count
                                   for q in QUEUE_NAMES)


def test_two_workers_racing_senders_exactly_one_reply_each(harness, tmp_path):
    from bot import simulator

    with harness.db.org_session(harness.org_id) as s:
        s.get(Organization, harness.org_id).burst_quiet_seconds = 1.0
        s.get(Organization, harness.org_id).burst_cap_seconds = 5.0
    log = tmp_path / "processes.log"
    procs = [
        _start(log, sys.executable, "-m", "workers.worker"),
        _start(log, sys.executable, "-m", "workers.worker"),
        _start(log, sys.executable, "-m", "workers.clock"),
        _start(log, sys.executable, "-m", "workers.clock"),
    ]
    try:
        def chat(wa_id: str) -> None:
            client = harness.app.test_client()
            for n, words in enumerate(["hola", "se me rompió el termotanque", "estoy en Palermo", "gracias"]):
                body = simulator.encode(simulator.text(PHONE_NUMBER_ID, wa_id, f"{words} ({n})"))
                r = client.post("/webhooks/whatsapp", data=body, headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": simulator.sign(harness.settings.whatsapp_app_secret, body)})
                assert r.status_code == 200
                time.sleep(0.05)  # a person typing, well inside the 1 s quiet window: not a wait

        threads = [threading.Thread(target=chat, args=(w,)) for w in SENDERS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert not any(t.is_alive() for t in threads), "a webhook post never returned"
        # Pile on: a duplicate job per conversation, as if a burst had been claimed twice.
        with harness.db.org_session(harness.org_id) as s:
            conversations = list(s.scalars(select(Conversation.id)))
        for conversation_id in conversations:
            Dispatcher(harness.redis).process_burst(harness.org_id, conversation_id, f"dup-{conversation_id}")

        # A timeout is not the verdict: the assertions below say what went wrong, with the
        # workers' own words.
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: len(harness.graph.sent()) >= len(SENDERS), 30, every=0.1,
                       what="a reply to every sender")
            # Anything extra (a burst answered twice) is sent before the workers and the clocks
            # have stayed quiet for a second.
            wait_until(settled(lambda: _quiet(harness.redis), 1.0), 30, what="the workers to go quiet")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)

    sent = harness.graph.sent()
    assert sorted(r["to"] for r in sent) == sorted(SENDERS), log.read_text(errors="replace")[-4000:]
    for sender in SENDERS:  # one answer, to everything the sender said, in order
        said = harness.booking(sender)["said"]
        assert [said.index(f"({n})") for n in range(4)] == sorted(said.index(f"({n})") for n in range(4))
    with harness.db.org_session(harness.org_id) as s:
        inbound = list(s.scalars(select(Message).where(Message.direction == "in")))
        assert len(inbound) == 4 * len(SENDERS)
        by_conversation = {}
        for m in inbound:
            by_conversation.setdefault(m.conversation_id, set()).add(m.burst_id)
        assert all(len(ids) == 1 and None not in ids for ids in by_conversation.values())
