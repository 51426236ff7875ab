"""Blue ticks ride with the reply: the burst's last message is marked read by the send job of
its first reply, over the same client, with no mark-as-read job of its own (#20: in a rush
those jobs queued by the hundreds behind, or ahead of, customers' bursts)."""

from __future__ import annotations

from rq import Queue
from sqlalchemy import select

from core.models import Direction, Message
from services.queues import QUEUE_NAMES


def _inbound_wamids(harness) -> list[str]:
    with harness.db.org_session(harness.org_id) as s:
        return list(s.scalars(select(Message.wa_message_id).where(
            Message.direction == Direction.INBOUND).order_by(Message.id)))


def _jobs_run(harness) -> list[str]:
    names = []
    for name in QUEUE_NAMES:
        queue = Queue(name, connection=harness.redis)
        for job_id in queue.finished_job_registry.get_job_ids():
            names.append(queue.fetch_job(job_id).func_name)
    return names


def test_the_burst_s_last_message_is_marked_read_with_the_first_reply(harness):
    harness.say("hola")
    harness.say("se me tapó la pileta de la cocina")
    harness.work()
    assert harness.replies()  # answered
    wamids = _inbound_wamids(harness)
    assert harness.graph.read_marks() == [wamids[-1]]  # once, the burst's last message
    ran = _jobs_run(harness)
    assert "workers.tasks.send_message" in ran
    assert "workers.tasks.mark_read" not in ran


def test_a_reply_sent_on_its_retry_marks_the_message_read_once(harness):
    harness.say("hola")
    harness.graph.fail_next(131000, http_status=500, count=1)  # the reply's first try fails
    harness.work(timeout=30)
    replies = harness.replies()
    assert len(replies) == 1  # retried once and sent once
    assert harness.graph.read_marks() == [_inbound_wamids(harness)[-1]]
