"""Enqueue background work by task name, so nothing needs to import workers/ to start a task."""

from __future__ import annotations

from collections.abc import Callable

from redis import Redis
from rq import Queue, Retry

from services.queues import DEFAULT, HIGH, LOW, VOICE

# Sends: Meta's throughput errors and timeouts back off exponentially; a hung call is cut short.
SEND_RETRY = Retry(max=5, interval=[1, 2, 4, 8, 16])
SEND_TIMEOUT = 30
BURST_TIMEOUT = 120
MEDIA_TIMEOUT = 300
INVOICE_TIMEOUT = 180
CODE_TIMEOUT = 20
CHECK_TIMEOUT = 90  # WSAA login + one WSFE call, each bounded by the AFIP timeout


# A process that can send on threads of its own (the general worker, `workers.worker.run`)
# registers how: `(org_id, message_ids, mark_read) -> bool`, True when a thread took the sends.
# A burst's replies then leave from the process that answered it, without a send job (its
# enqueue, dequeue and bookkeeping cost as much CPU as the send itself); what cannot go at once
# becomes a send job with its retries, and a process that dies with them is the sweeper's.
# The fourth argument: what the burst's transaction already knew of its replies
# (`services.send_reply.Ready`, one per reply from the first, or None), never put in a job.
LocalSender = Callable[[int, list[int], "int | None", "list | None"], bool]
_local_sender: LocalSender | None = None


def set_local_sender(sender: LocalSender | None) -> None:
    global _local_sender
    _local_sender = sender


class Dispatcher:
    def __init__(self, redis: Redis):
        self.redis = redis
        self._queues: dict[str, Queue] = {}

    def queue(self, name: str) -> Queue:
        if name not in self._queues:
            self._queues[name] = Queue(name, connection=self.redis)
        return self._queues[name]

    def after_commit(self, org_id: int, tasks: list[tuple[str, tuple]]) -> None:
        """`core.db.Database`'s after-commit hook: enqueue what a committed transaction deferred
        (`core.deferred`), in the order it was asked for."""
        for task, args in tasks:
            getattr(self, task)(org_id, *args)

    def process_burst(self, org_id: int, conversation_id: int, burst_id: str, *, queue: str = DEFAULT) -> None:
        self.queue(queue).enqueue(
            "workers.tasks.process_burst", org_id, conversation_id, burst_id,
            job_id=f"burst-{burst_id}", job_timeout=BURST_TIMEOUT,
            retry=Retry(max=3, interval=[1, 5, 15]), failure_ttl=7 * 86400,
        )

    def send(self, org_id: int, message_id: int, *, queue: str = HIGH,
             mark_read: int | None = None) -> None:
        # The job id is the message: enqueuing twice (a sweeper and a retry) runs one send.
        # `mark_read`: an inbound message whose blue ticks go out with this reply (no job of
        # their own: a rush's thousand mark-as-read jobs used to wait behind, or block, bursts).
        args = (org_id, message_id) if mark_read is None else (org_id, message_id, mark_read)
        self.queue(queue).enqueue(
            "workers.tasks.send_message", *args,
            job_id=f"send-{message_id}", job_timeout=SEND_TIMEOUT, retry=SEND_RETRY,
            failure_ttl=7 * 86400,
        )

    def send_in_order(self, org_id: int, message_ids: list[int], *, queue: str = HIGH,
                      mark_read: int | None = None, here: bool = False,
                      ready: list | None = None) -> None:
        """A burst's replies: one job sends them one after the other. A job per reply would let
        two send threads put the second on the wire before the first ("¿En qué dirección es?"
        before "Dale, vamos con destapación"). `here`: on this process's own send threads when
        it has a free one (see `set_local_sender`), with `ready` (what the burst's transaction
        knew of them, so they are not read back), else as a job."""
        if not message_ids:
            return
        if here and _local_sender is not None and _local_sender(
                org_id, list(message_ids), mark_read, ready):
            return
        if len(message_ids) == 1:
            self.send(org_id, message_ids[0], queue=queue, mark_read=mark_read)
            return
        self.queue(queue).enqueue(
            "workers.tasks.send_messages", org_id, message_ids, mark_read,
            job_id=f"send-{message_ids[0]}-{message_ids[-1]}",
            job_timeout=SEND_TIMEOUT * len(message_ids), retry=SEND_RETRY, failure_ttl=7 * 86400,
        )

    def fetch_media(self, org_id: int, message_id: int) -> None:
        # On the transcription worker's queue: only that process loads the Whisper model.
        self.queue(VOICE).enqueue(
            "workers.tasks.fetch_media", org_id, message_id,
            job_id=f"media-{message_id}", job_timeout=MEDIA_TIMEOUT,
            retry=Retry(max=3, interval=[2, 5, 10]), failure_ttl=7 * 86400,
        )

    def issue_invoice(self, org_id: int, invoice_id: int, *, force: bool = False) -> None:
        # AFIP in a job of its own: the invoice is an idempotent state machine, so a sweeper
        # re-enqueuing it while a worker holds it only waits on its numbering lock.
        self.queue(HIGH).enqueue(
            "workers.tasks.issue_invoice", org_id, invoice_id, force,
            job_id=f"invoice-{invoice_id}", job_timeout=INVOICE_TIMEOUT,
            retry=Retry(max=2, interval=[5, 30]), failure_ttl=7 * 86400,
        )

    def lookup_cuit(self, org_id: int, customer_id: int) -> None:
        self.queue(DEFAULT).enqueue(
            "workers.tasks.lookup_cuit", org_id, customer_id,
            job_id=f"padron-{org_id}-{customer_id}", job_timeout=INVOICE_TIMEOUT,
            retry=Retry(max=3, interval=[10, 60, 300]), failure_ttl=7 * 86400,
        )

    def mark_read(self, org_id: int, message_id: int) -> None:
        self.queue(LOW).enqueue(
            "workers.tasks.mark_read", org_id, message_id,
            job_id=f"read-{message_id}", job_timeout=SEND_TIMEOUT, failure_ttl=86400,
        )

    def send_code(self, wa_to: str, sealed_code: str, purpose: str) -> None:
        # A code is worth nothing after ten minutes: short timeout, few retries, short memory.
        # The job carries the code sealed (services.otp.seal_code), never in plaintext.
        self.queue(HIGH).enqueue(
            "workers.tasks.send_code", wa_to, sealed_code, purpose,
            job_timeout=CODE_TIMEOUT, retry=Retry(max=2, interval=[2, 5]),
            result_ttl=60, failure_ttl=3600,
        )

    def check_connection(self, org_id: int, service: str) -> None:
        # "Probar conexión": one try, no retries (the owner is watching the page for the result).
        self.queue(HIGH).enqueue(
            "workers.tasks.check_connection", org_id, service,
            job_timeout=CHECK_TIMEOUT, result_ttl=3600, failure_ttl=86400,
        )
