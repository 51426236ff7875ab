"""Faults under load: Redis killed, the worker SIGKILLed, PostgreSQL crashed (JSON).

Runs the repository's Procfile under honcho (web, worker, scheduler, clock, each under its
supervisor) on a PostgreSQL cluster and a redis-server of its own, with the WhatsApp Graph API
faked on a second redis-server so that the replies survive the app's Redis being killed. For each
fault, customers each send one message (delivery retried until a 200, as Meta does) while the
fault hits; then it counts, per customer, the messages the bot sent: lost (none) and doubled
(more than one). Also whether every process is still alive, which ones had to be restarted,
the seconds from the end of the fault until every customer was answered, and what the webhook
answered Meta (503 while PostgreSQL is down: Meta retries).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from redis import Redis

from tests.fakes.graph import FakeGraph
from tests.faults.parts import PostgresCluster, RedisServer
from tests.faults.stack import SCENARIOS, Stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=24, help="per fault")
    parser.add_argument("--outage", type=float, default=5.0,
                        help="seconds Redis and PostgreSQL stay down")
    parser.add_argument("--rounds", type=int, default=1, help="times each fault is repeated")
    parser.add_argument("--faults", default="redis,worker,postgresql",
                        help=f"comma-separated, of: {', '.join(SCENARIOS)}")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds to wait for every customer's reply after a fault")
    args = parser.parse_args()
    faults = [name.strip() for name in args.faults.split(",") if name.strip()]
    unknown = sorted(set(faults) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown faults: {', '.join(unknown)}")

    replies_redis = RedisServer().start()
    graph = FakeGraph(Redis.from_url(replies_redis.url)).start()
    pg = PostgresCluster().create()
    app_redis = RedisServer().start()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        stack = Stack(pg, app_redis, graph.url, Path(tmp) / "procfile.log")
        try:
            stack.prepare()
            t0 = time.monotonic()
            stack.start()
            boot = time.monotonic() - t0
            for _ in range(args.rounds):
                for name in faults:
                    options = {"customers": args.customers, "budget": args.budget}
                    if name != "worker":
                        options["outage"] = args.outage
                    results.append(SCENARIOS[name](stack, graph, **options).as_dict())
        finally:
            stack.stop()
            app_redis.kill()
            pg.destroy()
            graph.stop()
            replies_redis.kill()

    recoveries = [r["recovery_seconds"] for r in results]
    print(json.dumps({
        "benchmark": "faults",
        "customers_per_fault": args.customers,
        "outage_seconds": args.outage,
        "boot_seconds": round(boot, 2),
        "lost": sum(r["lost"] for r in results),
        "doubled": sum(r["doubled"] for r in results),
        "every_process_alive": all(all(r["processes_alive"].values()) for r in results),
        "processes_left_behind": sum(r["processes_left_behind"] for r in results),
        "max_recovery_seconds": None if None in recoveries else max(recoveries, default=None),
        "faults": results,
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
