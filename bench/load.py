"""wrk runs, and the CPU and memory the processes under test use during them."""

import json
import os
import resource
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

WRK_SCRIPT = Path(__file__).resolve().parent / "wrk.lua"
# wrk's default of 2 s would drop slow responses from the latency figures.
WRK_REQUEST_TIMEOUT = "30s"
CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


class WrkFailed(Exception):
    pass


@dataclass
class WrkSettings:
    threads: int
    connections: int
    port: int


def run_wrk(
    settings: WrkSettings,
    path: str,
    sessions_file: Path,
    members_file: Path | None,
    seconds: int,
) -> dict:
    """Run wrk with bench/wrk.lua for `seconds`; return the JSON line it prints.

    Adds `requests_per_second` and `wrk_cpu_seconds`. Raises WrkFailed when
    wrk exits with an error or prints no summary.
    """
    script_arguments = [path, str(sessions_file), str(settings.threads)]
    if members_file:
        script_arguments.append(str(members_file))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        [
            "wrk",
            "--threads",
            str(settings.threads),
            "--connections",
            str(settings.connections),
            "--duration",
            f"{seconds}s",
            "--timeout",
            WRK_REQUEST_TIMEOUT,
            "--script",
            str(WRK_SCRIPT),
            f"http://127.0.0.1:{settings.port}",
            "--",
            *script_arguments,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    summary = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if completed.returncode != 0 or not summary:
        raise WrkFailed(
            f"wrk failed on {path} with exit status {completed.returncode}:\n"
            f"{completed.stdout}\n{completed.stderr}"
        )
    figures = json.loads(summary[-1])
    figures["requests_per_second"] = figures["requests"] / (
        figures["duration_us"] / 1_000_000
    )
    figures["wrk_cpu_seconds"] = (after.ru_utime - before.ru_utime) + (
        after.ru_stime - before.ru_stime
    )
    return figures


def process_cpu_ticks(pid: int) -> int:
    """Return the user plus system CPU time of a process in clock ticks, 0 if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0
    # The command name is in parentheses and may contain spaces, so split
    # after it. The rest starts at field 3, and utime and stime are 14 and 15.
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])


def machine_busy_ticks() -> int:
    """Return the CPU time all processors spent on user, system and interrupt work."""
    values = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = values
    return user + nice + system + irq + softirq


def child_pids(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(child) for child in children.split()]


def worker_rss_kib(master_pid: int) -> list[int]:
    """Return the resident set size of each gunicorn worker, in KiB."""
    sizes = []
    for pid in child_pids(master_pid):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]))
    return sizes


@dataclass
class CpuMeter:
    """CPU seconds of gunicorn, of database server processes and of the machine.

    `gunicorn_pid` is the master's process id, or None before the server starts.

    `database_pids` returns the PostgreSQL backends that serve the benchmark
    database. The CPU time the machine spent beyond these, gunicorn and wrk is
    "other": the load of processes outside the benchmark.
    """

    gunicorn_pid: int | None
    database_pids: Callable[[], list[int]] = list
    started: dict = field(default_factory=dict)

    def _sample(self) -> dict:
        gunicorn_pids = []
        if self.gunicorn_pid is not None:
            gunicorn_pids = [self.gunicorn_pid, *child_pids(self.gunicorn_pid)]
        return {
            "monotonic": time.monotonic(),
            "machine": machine_busy_ticks(),
            "gunicorn": {pid: process_cpu_ticks(pid) for pid in gunicorn_pids},
            "database": {pid: process_cpu_ticks(pid) for pid in self.database_pids()},
        }

    def start(self) -> None:
        self.started = self._sample()

    def stop(self, wrk_cpu_seconds: float) -> dict:
        """Return the cores each group used on average since start()."""
        ended = self._sample()
        seconds = ended["monotonic"] - self.started["monotonic"]

        def used(group: str) -> float:
            before = self.started[group]
            ticks = sum(t - before.get(pid, 0) for pid, t in ended[group].items())
            return ticks / CLOCK_TICKS_PER_SECOND

        machine = (ended["machine"] - self.started["machine"]) / CLOCK_TICKS_PER_SECOND
        gunicorn, database = used("gunicorn"), used("database")
        other = machine - gunicorn - database - wrk_cpu_seconds
        return {
            "gunicorn": gunicorn / seconds,
            "database": database / seconds,
            "wrk": wrk_cpu_seconds / seconds,
            "other": max(other, 0.0) / seconds,
        }
