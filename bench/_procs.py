"""Process, memory and CPU accounting for the benchmarks: the stack's processes found in /proc,
their PSS and CPU seconds, the machine's busy time, and `StackWatch` sampling them during a run."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.settings import Settings


def cpu_busy_seconds() -> float:
    """Seconds of CPU the whole machine spent busy (all processes, all cores) since boot."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry))
    return tree


def _descendants(root: int, tree: dict[int, list[int]]) -> list[int]:
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(tree.get(pid, ()))
    return out


def _postmaster(database_url: str) -> int | None:
    """The bench cluster's postmaster (pg_ctl detaches it from us), found by its port."""
    port = database_url.rsplit(":", 1)[1].split("/", 1)[0]
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if (argv and argv[0].endswith(b"/postgres") and b"-p" in argv
                and argv[argv.index(b"-p") + 1:argv.index(b"-p") + 2] == [port.encode()]
                and any(b"campotech-bench-pg-" in a for a in argv)):
            return int(entry)
    return None


def stack_processes(settings: Settings) -> dict[int, str]:
    """Every process of the running stack, pid → what it is: the children this bench started
    (redis-server, gunicorn and its workers, RQ workers and their scheduler, the clock) and the
    PostgreSQL cluster (postmaster, backends, its own workers). The bench itself is not included."""
    tree = _children()
    pids = [p for c in tree.get(os.getpid(), ()) for p in _descendants(c, tree)]
    postmaster = _postmaster(settings.database_url)
    if postmaster is not None:
        pids += _descendants(postmaster, tree)
    out = {}
    for pid in pids:
        label = _label(pid)
        if label:
            out[pid] = label
    return out


def _label(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return None
    if not argv:
        return None
    line = " ".join(argv)
    if argv[0].startswith("postgres:"):  # a backend or a helper names itself
        return "postgres: " + ("backend" if "127.0.0.1" in line or "[local]" in line else argv[0][10:].strip())
    if argv[0].endswith("/postgres"):
        return "postgres: postmaster"
    if "redis-server" in argv[0]:
        return "redis-server"
    if "gunicorn" in line:
        return "gunicorn (bare Flask)" if "bare_app" in line else "gunicorn"  # master and workers alike; `stack_memory` tells them apart
    if "workers.worker" in line and "--transcription" in line:
        return "transcription worker"
    if "workers.worker" in line or "profile-worker" in line:
        return "rq worker"
    if "workers.scheduler" in line:
        return "scheduler"
    if "workers.clock" in line:
        return "burst clock"
    if "runuser" in argv[0] or "pg_ctl" in line:
        return None
    return os.path.basename(argv[0])


def pss_kb(pid: int) -> int | None:
    """Proportional set size (shared pages split among their users), from smaps_rollup."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds this process has used."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class StackWatch:
    """Memory and CPU of the stack's processes, sampled now and then by the bench's own thread.

    A process's role is its label; gunicorn's master is the one whose parent is the bench, an RQ
    worker's child is rq's scheduler."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.peak_total_kb = 0
        self.peak: dict[int, tuple[str, int]] = {}
        self.at_peak: dict[int, tuple[str, int]] = {}
        self.samples = 0
        self._cpu_start: dict[int, tuple[str, float]] = {}

    def _roles(self) -> dict[int, str]:
        procs = stack_processes(self.settings)
        parents = {}
        for pid in procs:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    parents[pid] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                parents[pid] = 0
        roles = {}
        for pid, label in procs.items():
            parent = parents.get(pid, 0)
            if label == "gunicorn":
                label = "gunicorn master" if parent == os.getpid() else "gunicorn worker"
            elif label in ("rq worker", "transcription worker") and procs.get(parent) == label:
                label = f"rq scheduler (forked by a {label})"
            roles[pid] = label
        return roles

    def sample_memory(self) -> None:
        sample = {pid: (role, kb) for pid, role in self._roles().items() if (kb := pss_kb(pid)) is not None}
        self.samples += 1
        for pid, (role, kb) in sample.items():
            if kb > self.peak.get(pid, ("", 0))[1]:
                self.peak[pid] = (role, kb)
        total = sum(kb for _, kb in sample.values())
        if total > self.peak_total_kb:
            self.peak_total_kb, self.at_peak = total, sample

    def memory_report(self) -> dict:
        by_role: dict[str, list[int]] = {}
        for role, kb in self.at_peak.values():
            by_role.setdefault(role, []).append(kb)
        return {
            "samples": self.samples,
            "peak_total_pss_mb": round(self.peak_total_kb / 1024, 1),
            "at_peak_by_role": {role: f"{sum(kbs) / 1024:.1f} MB in {len(kbs)} (largest {max(kbs) / 1024:.1f})"
                                for role, kbs in sorted(by_role.items(), key=lambda x: -sum(x[1]))},
            "at_peak_every_process": [f"{kb / 1024:7.1f} MB  {role} (pid {pid})" for pid, (role, kb)
                                      in sorted(self.at_peak.items(), key=lambda x: -x[1][1])],
            "largest_process_ever": max((f"{kb / 1024:.1f} MB  {role} (pid {pid})" for pid, (role, kb)
                                         in sorted(self.peak.items(), key=lambda x: -x[1][1])[:1]), default=None),
        }

    def start_cpu(self) -> None:
        self._cpu_start = {pid: (role, s) for pid, role in self._roles().items()
                           if (s := cpu_seconds(pid)) is not None}
        self._machine_start = cpu_busy_seconds()
        self._self_start = _own_cpu()
        self._wall_start = time.monotonic()

    def cpu_report(self, per: int, per_name: str) -> dict:
        """CPU seconds since `start_cpu` by role (a process started since counts from zero), the
        bench's own, and everyone else's on the machine; also per `per_name` in milliseconds."""
        wall = time.monotonic() - self._wall_start
        by_role: dict[str, float] = {}
        for pid, role in self._roles().items():
            now = cpu_seconds(pid)
            if now is None:
                continue
            by_role[role] = by_role.get(role, 0.0) + now - self._cpu_start.get(pid, (role, 0.0))[1]
        stack_s = sum(by_role.values())
        bench_s = _own_cpu() - self._self_start
        machine_s = cpu_busy_seconds() - self._machine_start
        per = max(per, 1)
        return {
            "wall_seconds": round(wall, 1),
            "machine_busy_cores": round(machine_s / wall, 2) if wall else None,
            "stack_cpu_seconds": round(stack_s, 1),
            "bench_client_cpu_seconds": round(bench_s, 1),
            "other_processes_cpu_seconds": round(max(0.0, machine_s - stack_s - bench_s), 1),
            f"stack_cpu_ms_per_{per_name}": round(1000 * stack_s / per, 1),
            f"cpu_ms_per_{per_name}_by_role": {role: round(1000 * s / per, 1)
                                              for role, s in sorted(by_role.items(), key=lambda x: -x[1])
                                              if 1000 * s / per >= 0.05},
        }


def _own_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# -- one process, by pid (the voice bench) ----------------------------------------------------

def memory_mb(pid: int | str = "self") -> dict[str, float | None]:
    """RSS and PSS (MB) from smaps_rollup, peak RSS from status; None where unreadable."""
    out: dict[str, float | None] = {"rss_mb": None, "pss_mb": None, "peak_rss_mb": None}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("Rss", "Pss"):
                out[f"{key.lower()}_mb"] = round(int(value.split()[0]) / 1024, 1)
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                out["peak_rss_mb"] = round(int(line.split()[1]) / 1024, 1)
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return out


def maps_ctranslate2(pid: int) -> bool | None:
    try:
        return "ctranslate2" in Path(f"/proc/{pid}/maps").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def children_of(pid: int) -> list[int]:
    try:
        raw = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return []
    return [int(p) for p in raw.split()]


def cpu_seconds_of(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
