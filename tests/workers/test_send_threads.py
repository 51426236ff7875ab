"""Send jobs on threads (#20): the general worker keeps several sends in flight at once, each
still an RQ job (registries, retries with backoff), each message sent once."""

from __future__ import annotations

import logging
import threading

from rq import Queue
from rq.registry import FinishedJobRegistry
from sqlalchemy import select

from core.messaging.outbox import queue_replies
from core.messaging.replies import Text
from core.models import Conversation, DeliveryStatus, Message
from services.dispatch import Dispatcher, set_local_sender
from services.queues import HIGH, WORKER_QUEUES
from services.send_reply import SendDeferred, Sender
from tests.bot.conftest import harness  # noqa: F401 - the fixture, shared with tests/bot
from workers.outage import Outage
from workers.send_threads import SendThreads
from workers.worker import Worker


def _queued(harness, count: int) -> list[int]:  # noqa: F811 - the fixture
    harness.say("hola")
    harness.work()
    with harness.db.org_session(harness.org_id) as s:
        conversation = s.scalar(select(Conversation))
        return queue_replies(s, conversation, [Text(f"mensaje {n}") for n in range(count)], key="threads")


def _threaded_worker(redis, threads: int, queues: tuple[str, ...] = WORKER_QUEUES) -> Worker:
    worker = Worker([Queue(name, connection=redis) for name in queues], connection=redis)
    log = logging.getLogger("test")
    worker.outage, worker.database = Outage("redis", log), Outage("database", log)
    worker.sends = SendThreads(threads)
    return worker


def _rows(harness, ids: list[int]) -> list[tuple]:  # noqa: F811 - the fixture
    with harness.db.org_session(harness.org_id) as s:
        return [(m.status, m.attempts, m.wa_message_id) for m in
                s.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))]


def test_send_jobs_run_side_by_side_and_each_message_goes_once(harness):  # noqa: F811
    ids = _queued(harness, 6)
    harness.graph.delay_next(400, count=6)  # each send waits on the Graph API
    for message_id in ids:
        Dispatcher(harness.redis).send(harness.org_id, message_id)

    _threaded_worker(harness.redis, threads=6).work(burst=True)

    rows = _rows(harness, ids)
    assert [status for status, _, _ in rows] == [DeliveryStatus.SENT] * 6
    assert all(attempts == 1 for _, attempts, _ in rows)
    sent = [r["payload"]["text"]["body"] for r in harness.replies()[1:]]
    assert sorted(sent) == sorted(f"mensaje {n}" for n in range(6))
    assert {r["wamid"] for r in harness.replies()[1:]} == {wamid for _, _, wamid in rows}
    # Every job finished through rq, and they overlapped: one began before another had ended.
    queue = Queue(HIGH, connection=harness.redis)
    finished = set(FinishedJobRegistry(HIGH, connection=harness.redis).get_job_ids())
    assert {f"send-{i}" for i in ids} <= finished
    jobs = sorted((queue.fetch_job(f"send-{i}") for i in ids), key=lambda j: j.started_at)
    assert jobs[1].started_at < jobs[0].ended_at


def test_a_threaded_send_that_fails_is_retried_with_backoff(harness):  # noqa: F811
    [message_id] = _queued(harness, 1)
    harness.graph.fail_next(131000, http_status=500, count=1)  # Meta's transient error, once
    Dispatcher(harness.redis).send(harness.org_id, message_id)

    worker = _threaded_worker(harness.redis, threads=4)
    worker.work(burst=True)
    [(status, attempts, _)] = _rows(harness, [message_id])
    assert (status, attempts) == (DeliveryStatus.QUEUED, 1)
    assert Queue(HIGH, connection=harness.redis).scheduled_job_registry.get_job_ids() == [f"send-{message_id}"]

    harness.work(timeout=30)  # the retry, when due
    [(status, attempts, wamid)] = _rows(harness, [message_id])
    assert (status, attempts) == (DeliveryStatus.SENT, 2)
    assert [r["wamid"] for r in harness.replies() if r["payload"].get("text", {}).get("body") == "mensaje 0"] == [wamid]


def test_two_senders_racing_for_one_message_send_it_once(harness):  # noqa: F811
    """A retried job and a sweeper's (two threads, or two workers) both find the message queued:
    the claim lets one send; the other is told to come back, or finds it sent."""
    [message_id] = _queued(harness, 1)
    harness.graph.delay_next(400, count=2)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def deliver() -> None:
        start.wait()
        try:
            outcomes.append(Sender(harness.db, harness.redis, harness.settings).deliver(
                harness.org_id, message_id).outcome)
        except SendDeferred:
            outcomes.append("deferred")

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) in (["deferred", "sent"], ["already_sent", "sent"])
    assert [r["payload"]["text"]["body"] for r in harness.replies()[1:]] == ["mensaje 0"]
    [(status, attempts, _)] = _rows(harness, [message_id])
    assert (status, attempts) == (DeliveryStatus.SENT, 1)


def test_a_burst_s_replies_go_out_in_order_even_when_the_first_is_slow(harness):  # noqa: F811
    ids = _queued(harness, 3)
    harness.graph.delay_next(400, count=1)  # the first reply waits on the Graph API
    Dispatcher(harness.redis).send_in_order(harness.org_id, ids)

    _threaded_worker(harness.redis, threads=6).work(burst=True)

    sent = [r["payload"]["text"]["body"] for r in harness.replies()[1:]]
    assert sent == ["mensaje 0", "mensaje 1", "mensaje 2"]
    assert [status for status, _, _ in _rows(harness, ids)] == [DeliveryStatus.SENT] * 3


def test_a_reply_meta_defers_holds_back_the_ones_after_it(harness):  # noqa: F811
    ids = _queued(harness, 2)
    harness.graph.fail_next(131000, http_status=500, count=1)  # the first send fails once
    Dispatcher(harness.redis).send_in_order(harness.org_id, ids)

    _threaded_worker(harness.redis, threads=2).work(burst=True)  # the retry is scheduled
    assert [r["payload"]["text"]["body"] for r in harness.replies()[1:]] == []
    harness.work(timeout=30)  # the retry: both, in order, each once

    sent = [r["payload"]["text"]["body"] for r in harness.replies()[1:]]
    assert sent == ["mensaje 0", "mensaje 1"]
    assert [attempts for _, attempts, _ in _rows(harness, ids)] == [2, 1]


def _burst_job_queued(harness) -> None:  # noqa: F811 - the fixture
    """The clock alone, until the burst's job is on its queue (no worker has run it)."""
    from services.burst_closer import BurstCloser
    from services.queues import DEFAULT
    from tests.waiting import wait_until

    closer = BurstCloser(harness.db, harness.redis)
    wait_until(lambda: closer.tick() or Queue(DEFAULT, connection=harness.redis).count, 15,
               what="the burst's job")


def _answer_with_sends_here(harness, queues: tuple[str, ...] = WORKER_QUEUES) -> None:  # noqa: F811
    """A threaded worker, registered as the process's local sender, works the queued burst
    (and whatever else is on `queues` by the time it looks)."""
    worker = _threaded_worker(harness.redis, threads=4, queues=queues)
    worker.send_here()
    try:
        worker.work(burst=True)
    finally:
        set_local_sender(None)


def test_a_burst_s_replies_leave_from_the_worker_that_answered_it_without_a_send_job(harness):  # noqa: F811
    harness.say("hola, se me tapó la pileta de la cocina")
    _burst_job_queued(harness)
    _answer_with_sends_here(harness)

    replies = harness.replies()
    assert replies, "the burst was answered"
    with harness.db.org_session(harness.org_id) as s:
        outbound = list(s.scalars(select(Message).where(Message.direction == "out")))
    assert outbound and all(m.status is DeliveryStatus.SENT and m.attempts == 1 for m in outbound)
    assert [m.wa_message_id for m in outbound] == [r["wamid"] for r in replies]
    # No send job was made: the finished registry holds the burst's job alone.
    finished = FinishedJobRegistry(HIGH, connection=harness.redis).get_job_ids()
    assert not [job for job in finished if job.startswith("send-")], finished
    assert Queue(HIGH, connection=harness.redis).count == 0


def test_a_reply_that_cannot_leave_at_once_becomes_a_send_job_and_goes_once(harness):  # noqa: F811
    harness.say("hola, se me tapó la pileta de la cocina")
    _burst_job_queued(harness)
    harness.graph.fail_next(131000, http_status=500, count=1)  # Meta's transient error, once
    # The burst's queue alone: a worker of every queue may find the send job queued before it
    # stops (the failed send's thread and the worker's last look race), and run it right away.
    from services.queues import DEFAULT

    _answer_with_sends_here(harness, queues=(DEFAULT,))
    assert harness.replies() == []
    queue = Queue(HIGH, connection=harness.redis)
    assert queue.count + len(queue.scheduled_job_registry.get_job_ids()) >= 1  # the send job

    harness.work(timeout=30)  # the job (and its retry, when due)
    replies = harness.replies()
    with harness.db.org_session(harness.org_id) as s:
        outbound = list(s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)))
    assert [m.status for m in outbound] == [DeliveryStatus.SENT] * len(outbound)
    assert [m.wa_message_id for m in outbound] == [r["wamid"] for r in replies]  # each once, in order
    assert outbound[0].attempts == 2


def test_with_every_send_thread_busy_the_replies_go_to_a_send_job(harness):  # noqa: F811
    sends = SendThreads(1)
    release = threading.Event()
    assert sends.try_submit(release.wait)
    assert not sends.try_submit(lambda: None)  # none free: the caller is told at once
    release.set()
    sends.drain(5)
    assert sends.try_submit(lambda: None)
    sends.close()


def test_with_redis_gone_the_replies_stay_queued_for_the_sweeper(harness, monkeypatch, caplog):  # noqa: F811
    """Neither the send (its claim is in Redis) nor a send job can be had: one line, no
    traceback, and the replies wait in the database, where the sweeper finds them."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    import workers.tasks

    ids = _queued(harness, 2)

    def down(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(workers.tasks.send_reply, "send_reply", down)
    monkeypatch.setattr(Dispatcher, "send_in_order", down)
    with caplog.at_level(logging.INFO, logger="campotech.worker"):
        workers.tasks.send_here(harness.org_id, ids)
    assert [r.getMessage() for r in caplog.records if r.name == "campotech.worker"] == [
        f"replies {ids} left to the sweeper: Redis unavailable"]
    assert [status for status, _, _ in _rows(harness, ids)] == [DeliveryStatus.QUEUED] * 2


def _answered_burst(harness, words: str):  # noqa: F811 - the fixture
    """A burst answered by `answer_burst` itself, as a worker would: (outcome, inbound row)."""
    from services import answer_burst

    harness.say(words)
    _burst_job_queued(harness)
    burst_id = Queue("default", connection=harness.redis).jobs[0].args[2]
    with harness.db.org_session(harness.org_id) as s:
        inbound = s.scalar(select(Message).where(Message.direction == "in").order_by(Message.id.desc()))
        conversation_id, wamid = inbound.conversation_id, inbound.wa_message_id
    outcome = answer_burst.answer_burst(harness.db, harness.redis, harness.settings, harness.org_id,
                                        conversation_id, burst_id)
    return outcome, wamid


def _statements():
    """Every statement any engine of this process runs (the worker's tasks keep their own)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    seen: list[str] = []

    def record(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split())[:60])

    event.listen(Engine, "before_cursor_execute", record)
    return seen, lambda: event.remove(Engine, "before_cursor_execute", record)


def test_a_burst_s_own_replies_go_out_from_what_its_transaction_knew(harness):  # noqa: F811
    """The burst's transaction hands each reply's address, client and payload to the send
    thread: the send writes its outcome and reads nothing back, and the blue ticks of the
    burst's last message go with the first reply."""
    import workers.tasks

    outcome, wamid = _answered_burst(harness, "hola, se me tapó la pileta de la cocina")
    assert outcome.status == "answered" and outcome.reply_ids
    assert outcome.ready is not None and len(outcome.ready) == len(outcome.reply_ids)
    assert outcome.ready[0].read_wamid == wamid
    assert all(r.read_wamid is None for r in outcome.ready[1:])

    seen, stop = _statements()
    try:
        workers.tasks.send_here(harness.org_id, outcome.reply_ids, outcome.mark_read_id, outcome.ready)
    finally:
        stop()
    assert not [s for s in seen if s.startswith("SELECT messages")], seen
    assert len([s for s in seen if s.startswith("UPDATE messages")]) == len(outcome.reply_ids)

    replies = harness.replies()
    with harness.db.org_session(harness.org_id) as s:
        outbound = list(s.scalars(select(Message).where(Message.direction == "out").order_by(Message.id)))
    assert [m.wa_message_id for m in outbound] == [r["wamid"] for r in replies]
    assert all(m.status is DeliveryStatus.SENT and m.attempts == 1 for m in outbound)
    assert [r["payload"]["type"] for r in replies] == [m.type for m in outbound]
    assert harness.graph.read_marks() == [wamid]


def test_a_prepared_reply_still_waits_for_an_earlier_one_of_its_conversation(harness):  # noqa: F811
    """A reply queued before the burst's (a notice from another turn, still unsent) is found by
    the burst's transaction, and the burst's first reply waits for it to go."""
    import workers.tasks

    earlier = _queued(harness, 1)  # "mensaje 0", queued and not sent
    outcome, _ = _answered_burst(harness, "hola, se me tapó la pileta de la cocina")
    assert outcome.ready[0].waits_on == earlier[0]

    sender = threading.Thread(target=workers.tasks.send_here,
                              args=(harness.org_id, outcome.reply_ids, None, outcome.ready))
    sender.start()
    threading.Event().wait(0.3)
    assert [r["payload"].get("text", {}).get("body") for r in harness.replies()[1:]] == []
    workers.tasks.send_here(harness.org_id, earlier)  # the earlier one goes: the burst's follow
    sender.join(10)
    bodies = [r["payload"].get("text", {}).get("body") or r["payload"].get("interactive", {})
              for r in harness.replies()[1:]]
    assert bodies[0] == "mensaje 0" and len(bodies) == 1 + len(outcome.reply_ids)


def test_outside_the_24_hour_window_the_sender_reads_the_reply_itself(harness):  # noqa: F811
    """No prepared send when the window is closed: the sender's own look puts the template in
    its place (or refuses), as for any reply."""
    from datetime import timedelta

    from services.send_reply import prepare_burst_replies

    _queued(harness, 0)
    with harness.db.org_session(harness.org_id) as s:
        conversation = s.scalar(select(Conversation))
        assert prepare_burst_replies(s, harness.settings, harness.org_id, conversation,
                                     [Text("hola")], [1], key="k", read_wamid=None,
                                     earlier_queued=None) is not None
        conversation.last_inbound_at -= timedelta(hours=25)
        assert prepare_burst_replies(s, harness.settings, harness.org_id, conversation,
                                     [Text("hola")], [1], key="k", read_wamid=None,
                                     earlier_queued=None) is None
