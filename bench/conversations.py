"""A rush of customers booking at once through the real processes, measured without eating the
machine it measures (JSON).

Runs the real processes — gunicorn in sandbox mode (its Graph stand-in accepts the replies), RQ
workers and the burst clock — on PostgreSQL and Redis. Each customer, on its own thread, sends
"se me tapó la pileta, estoy en Gorriti al <n>, Palermo", taps a slot, gives a name if asked,
confirms, and waits for "¡Listo! ✅ Quedó agendado el trabajo #N". Every message a customer sends
is its own burst.

Replies are counted where Meta would receive them: at a Graph API stand-in that plays Meta's
side, by default the bench's own (`bench._graph_stand_in`: asyncio, in the bench's process, as
the sends bench uses; it hands each reply to its customer as it answers the send), or with
`--graph sandbox` the app's built-in one inside gunicorn (its feed is read with a cursor,
`bot.sandbox_graph.feed_after`). A customer waits on a condition for its reply: nobody polls.
The latency of a burst is from its quiet window closing (post time + quiet seconds) to the
first reply's arrival at the stand-in. Another thread samples the RQ queues four times a
second and the stack's memory (PSS) every few seconds; after the last reply the bench waits for
every queue to drain.

Printed: the configuration and load average before and after; replies/s; p50/p95 quiet window →
reply; lost and doubled replies (bursts left unanswered, a stored reply sent twice, the same
reply twice in one turn); each queue's depth per second and how long after the last reply it
was empty; whether a lower-priority queue finished nothing during the whole rush; the PSS of
every process of the stack; the CPU each kind of process spent per reply; an empty RQ job as the
baseline. With --profile, the workers' jobs are profiled (wall time per task, by part of the
stack, with round trips per job) — a separate run, since profiling slows them down.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._http import wait_healthy
from bench._infra import dumps, free_port, load_average, machine, percentile, stack
from bench._jobs import (
    finished_jobs,
    job_times,
    noop_round_trips,
    profile_summary,
    profiled_worker_argv,
)
from bench._procs import StackWatch
from bench.conversations_report import _database_state, _series, _starvation
from bench.conversations_sim import (
    EVERY_DAY,
    GUNICORN,
    PHONE_NUMBER_ID,
    QUEUES,
    SECRET,
    TECHNICIANS,
    Customer,
    Failed,
    Feed,
    Sampler,
)


def _rest_of_procfile() -> dict[str, list[str]]:
    """The transcription worker (when this checkout has one) and the periodic scheduler."""
    out = {}
    if "--transcription" in (ROOT / "workers" / "worker.py").read_text():
        out["transcriber"] = [sys.executable, "-m", "workers.worker", "--transcription"]
    if (ROOT / "workers" / "scheduler.py").exists():
        out["scheduler"] = [sys.executable, "-m", "workers.scheduler"]
    return out


def _wait_for_queue(redis_url: str, queue: str, log: Path) -> None:
    """Until a worker of `queue` has finished an empty job (the transcriber warms its model first)."""
    from redis import Redis
    from rq import Queue

    job = Queue(queue, connection=Redis.from_url(redis_url)).enqueue("workers.tasks.noop")
    deadline = time.monotonic() + 120
    while job.get_status(refresh=True) != "finished":
        if time.monotonic() > deadline:
            raise SystemExit(f"no worker took the {queue} queue:\n" + log.read_text()[-3000:])
        time.sleep(0.1)


def _setup(settings) -> int:
    from core.db import Database
    from core.identity.users import create_user
    from core.organizations import create_organization

    db = Database(settings)
    try:
        with db.system_session() as s:
            org_id = create_organization(s, {
                "name": "Bench", "slug": "bench-conversations",
                "wa_phone_number_id": PHONE_NUMBER_ID,
                "business_hours": EVERY_DAY}).id
        with db.org_session(org_id) as s:
            for t in range(TECHNICIANS):
                create_user(s, {"name": f"Técnico {t + 1}", "role": "technician",
                                "phone": f"+54911555502{t:02d}", "working_hours": None})
    finally:
        db.dispose()
    return org_id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50, help="customers in a conversation at once")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes")
    parser.add_argument("--quiet", type=float, default=0.5, help="burst quiet window, seconds")
    parser.add_argument("--timeout", type=float, default=180.0, help="per customer, seconds")
    parser.add_argument("--drain-timeout", type=float, default=180.0,
                        help="seconds to wait after the last reply for every queue to be empty")
    parser.add_argument("--inbound-org-limit", type=int, default=None,
                        help="INBOUND_ORG_LIMIT (messages a minute before an organization's bursts move to "
                             "the low queue); default: the app's")
    parser.add_argument("--graph", choices=("stand-in", "sandbox"), default="stand-in",
                        help="who plays Meta's Graph API: the bench's asyncio stand-in (its CPU is the "
                             "bench's, apart from the stack) or the app's sandbox inside gunicorn "
                             "(its CPU counted in gunicorn's)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the workers' jobs (slower: a run for the profile, not the figures;"
                        " BENCH_PROFILE_CLOCK=cpu counts only the job thread's CPU)")
    args = parser.parse_args()

    load_before = machine()
    port = free_port()
    profile_prefix = tempfile.mkdtemp(prefix="campotech-bench-prof-") + "/worker" if args.profile else None
    sink: dict[str, Feed] = {}
    graph = {}
    if args.graph == "stand-in":
        from bench._graph_stand_in import serve_in_thread

        graph_port = serve_in_thread(0.0, on_send=lambda *a: sink["feed"].send(*a) if sink else None,
                                     on_read=lambda at: sink["feed"].read(at) if sink else None)
        graph = {"whatsapp_graph_url": f"http://127.0.0.1:{graph_port}"}
    with stack(**graph, whatsapp_app_secret=SECRET, whatsapp_access_token=None,
               whatsapp_phone_number_id=PHONE_NUMBER_ID, burst_quiet_seconds=args.quiet,
               public_base_url=f"http://127.0.0.1:{port}",
               **({"inbound_org_limit": args.inbound_org_limit} if args.inbound_org_limit else {})) as settings:
        org_id = _setup(settings)
        bindir = Path(sys.executable).parent
        log = Path(tempfile.mkdtemp(prefix="campotech-bench-log-")) / "stack.log"
        quiet = {"cwd": ROOT, "env": os.environ.copy(),
                 "stdout": subprocess.DEVNULL, "stderr": log.open("ab")}
        worker = profiled_worker_argv(profile_prefix) if profile_prefix else [sys.executable, "-m", "workers.worker"]
        procs = [subprocess.Popen([str(bindir / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}",
                                   *GUNICORN, "--no-control-socket", "--log-level", "warning"], **quiet)]
        procs += [subprocess.Popen(worker, **quiet) for _ in range(args.workers)]
        procs.append(subprocess.Popen([sys.executable, "-m", "workers.clock"], **quiet))
        # The rest of the Procfile, idle in a text rush but part of the stack's memory.
        extra = _rest_of_procfile()
        procs += [subprocess.Popen(argv, **quiet) for argv in extra.values()]
        watch = StackWatch(settings)
        try:
            wait_healthy(port, log=log)
            if "transcriber" in extra:
                _wait_for_queue(settings.redis_url, "voice", log)
            baseline = noop_round_trips(settings.redis_url, 20)
            customers = [Customer(port, n, args.quiet, args.timeout) for n in range(args.customers)]
            feed = Feed(None if graph else settings.redis_url, {c.wa_id: c for c in customers})
            sink["feed"] = feed
            sampler = Sampler(settings.redis_url, watch)
            feed.start()
            failures: Counter[str] = Counter()
            lock = threading.Lock()

            def drive(c: Customer) -> None:
                try:
                    c.run()
                except Failed as exc:
                    with lock:
                        failures[str(exc)] += 1
                except Exception as exc:  # noqa: BLE001 - counted, the run goes on
                    with lock:
                        failures[f"{type(exc).__name__}: {exc}"[:100]] += 1
                finally:
                    c.http.conn.close()

            watch.start_cpu()
            sampler.start()
            start = time.time()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(drive, customers))
            ours = {c.wa_id for c in customers}
            replies = [s for s in feed.sends if s["to"] in ours]
            last_reply = max((s["at"] for s in replies), default=time.time())
            # Every queue, mark-as-read included, must empty after the last reply.
            drain_deadline = time.monotonic() + args.drain_timeout
            while not sampler.all_empty(1.0) and time.monotonic() < drain_deadline:
                time.sleep(0.25)
            drained_at = time.time()
            cpu = watch.cpu_report(len(replies), "reply")  # the rush and the drain: all the work
            time.sleep(0.5)  # a late duplicate would land now
            load_after = load_average()
            sampler.stopping.set()
            feed.stopping.set()
            sampler.join()
            feed.join()
            watch.sample_memory()
            db_state = _database_state(settings, org_id, [c.wa_id for c in customers])
            jobs = finished_jobs(settings.redis_url)
            worker_times = job_times(settings.redis_url)
            if any(p.poll() is not None for p in procs):
                failures["a server process exited during the run"] += 1
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()

    latencies = [x for c in customers for x in c.latencies]
    completed = sum(1 for c in customers if c.job_number is not None)
    numbers = [c.job_number for c in customers if c.job_number is not None]
    wrong = {w: n for w, n in db_state["jobs"].items() if n != 1}
    turns = [t for c in customers for t in c.turn_replies()]
    doubled_in_turn = sum(len(t) - len({json.dumps(r["payload"], sort_keys=True) for r in t}) for t in turns)
    late = sum(len(c.inbox) - c.seen for c in customers if c.job_number is not None)
    sent_twice = sum(1 for s in replies if s["wamid"] not in db_state["wamids"])
    rush = last_reply - start
    drains = {}
    for q in QUEUES:
        since = sampler.empty_since(q)
        drains[q] = None if since is None else round(max(0.0, since - last_reply), 2)
    reads_after = [r for r in feed.reads if r > last_reply]
    p95 = percentile(latencies, 95)
    print(dumps({
        "benchmark": "conversations",
        "configuration": {
            "customers": args.customers, "concurrency": args.concurrency, "rq_workers": args.workers,
            "gunicorn": " ".join(GUNICORN), "burst_clock": 1, "also_running": sorted(extra),
            "technicians": TECHNICIANS,
            "quiet_seconds": args.quiet, "send_rate_per_number": settings.whatsapp_send_rate,
            "graph_api": ("the bench's asyncio stand-in, in the bench's process" if graph
                          else "the app's sandbox stand-in, inside gunicorn"),
            "replies_counted": ("at the Graph stand-in, as it answers" if graph
                                else "at the Graph stand-in, read from its feed with a cursor (no polling)"),
            "profiled": bool(profile_prefix), **{k: v for k, v in load_before.items() if k != "load_average"},
        },
        "load_average_before": load_before["load_average"],
        "load_average_after": load_after,
        "bookings_completed": completed,
        "failures": dict(failures),
        "slot_taken_retaps": sum(c.retaps for c in customers),
        "rush_seconds": round(rush, 2),
        "replies": len(replies),
        "replies_per_second": round(len(replies) / rush, 2) if rush > 0 else None,
        "bursts": len(turns),
        "quiet_close_to_reply_ms": {
            "p50": round(percentile(latencies, 50) * 1000, 1), "p95": round(p95 * 1000, 1),
            "max": round(max(latencies) * 1000, 1) if latencies else None},
        "baseline_empty_rq_job_ms": {"p50": round(percentile(baseline, 50) * 1000, 1),
                                     "p95": round(percentile(baseline, 95) * 1000, 1)},
        "lost_and_doubled": {
            "bursts_without_a_reply": sum(1 for t in turns if not t),
            "inbound_never_answered": db_state["inbound_unanswered"],
            "outbound_by_status": db_state["outbound_by_status"],
            "stored_reply_sent_twice": sent_twice,
            "same_reply_twice_in_a_turn": doubled_in_turn,
            "replies_after_booking_done": late,
            "job_numbers_unique": len(numbers) == len(set(numbers)),
            "customers_without_exactly_one_job": len(wrong),
        },
        "queues": {
            "depth_per_second_from_first_post": _series(sampler, start, drained_at),
            "seconds_to_empty_after_last_reply": drains,
            "all_drained": all(v is not None for v in drains.values()),
            "mark_as_read": {"read_marks": len(feed.reads), "after_last_reply": len(reads_after),
                             "last_one_s_after_last_reply": round(max(reads_after) - last_reply, 2)
                             if reads_after else 0.0},
            "during_rush": _starvation(jobs, sampler, start, last_reply),
        },
        "memory": watch.memory_report(),
        "cpu_rush_and_drain": cpu,
        # Load-independent: what both cores could answer at this CPU cost per reply, if they were ours.
        "replies_per_second_ceiling_from_cpu": round(1000 * (os.cpu_count() or 1) / cpu["stack_cpu_ms_per_reply"], 1)
        if cpu["stack_cpu_ms_per_reply"] else None,
        "bench_feed_reads": feed.reads_calls,
        "worker_seconds_by_task": worker_times,
        # A burst on the low queue waits behind every mark-as-read: the organization went over
        # INBOUND_ORG_LIMIT messages a minute and its bursts were moved there.
        "jobs_by_queue": {q: dict(Counter(j["task"] for j in jobs if j["queue"] == q)) for q in QUEUES},
        "inbound_org_limit_per_minute": settings.inbound_org_limit,
        "worker_profile": profile_summary(profile_prefix) if profile_prefix else None,
    }))


if __name__ == "__main__":
    main()
