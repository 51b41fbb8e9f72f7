"""Measure the portal's pages under load with wrk, through gunicorn on loopback.

    .venv/bin/python bench/run.py                    # 2 databases x 3 sizes
    .venv/bin/python bench/run.py --databases sqlite --sizes 10 --duration 3

For each database and organization size the run creates a new database (a
PostgreSQL database, or a SQLite file in a temporary folder), fills it with
`manage.py createbenchmarkorg`, and on PostgreSQL runs VACUUM ANALYZE, as
autovacuum would after a bulk load. It then requests each endpoint a few
times through Django's test client to count queries, starts gunicorn with
DEBUG off and BENCHMARK_VIEWS=true on 127.0.0.1, and drives each endpoint
with wrk: a warm-up, then the measured run. After each measured run it reads
the RSS of the gunicorn workers from /proc. On PostgreSQL, at 4,000 members
or more, it also times `assign_license_to_members` for 1,000 members in a
`manage.py shell` process. It stops the server and drops the database when
the case ends, and prints Markdown tables on standard output. Progress goes
to standard error.

Needs wrk (Debian package `wrk`) and, for PostgreSQL, a server that accepts
the user postgres without a password on 127.0.0.1:5432 (POSTGRES_SERVER
changes it). collectstatic writes the static files to STATIC_ROOT first.
"""

import argparse
import json
import multiprocessing
import os
import platform
import re
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import django_scripts
from load import CpuMeter, WrkFailed, WrkSettings, run_wrk, worker_rss_kib
from report import ASSIGN, TRIVIAL, format_report

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_SERVER = os.environ.get(
    "POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432"
)
MAX_ADMINISTRATORS = 32
# Matches the surname Novak in the generated names, about 1 member in 60.
SEARCH_TEXT = "novak"
BULK_MEMBERS = 1000
BULK_REPEATS = 3
PROFILE_REPEATS = 9
STARTUP_TIMEOUT_SECONDS = 60
IDLE_TIMEOUT_SECONDS = 60
# gunicorn's master and idle workers use far less than this.
IDLE_CORES = 0.05
MANAGE_TIMEOUT_SECONDS = 300
# (name, method, path); {holding} is the unlimited holding's id.
ENDPOINTS = [
    (TRIVIAL, "GET", "/benchmark/ping"),
    ("Profile", "GET", "/profile/licenses/"),
    ("Licenses", "GET", "/settings/licenses/"),
    # The page with one card's body: holders, usage chart and assign form.
    ("Licenses, card open", "GET", "/settings/licenses/?open={holding}"),
    ("Members", "GET", "/settings/members/"),
    ("Members search", "GET", f"/settings/members/?q={SEARCH_TEXT}"),
    (ASSIGN, "POST", "/settings/licenses/{holding}/assign/"),
]


def main() -> None:
    arguments = parse_arguments()
    if arguments.report_from:
        print(report_from_files(arguments.report_from))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing. Install it with `apt-get install -y wrk`.")
    # A SIGTERM ends the run through the `finally` blocks that stop the
    # servers and drop the databases.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    machine = describe_machine(arguments.databases)
    settings = {
        "threads": arguments.threads,
        "connections": arguments.connections,
        "warmup": arguments.warmup,
        "duration": arguments.duration,
        "workers": arguments.workers,
        "busy_limit": arguments.busy_limit,
        "attempts": arguments.attempts,
    }
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        manage(make_environment(arguments), "collectstatic", "--no-input", "-v0")
        for database in arguments.databases:
            for size in arguments.sizes:
                case = run_case(database, size, arguments, Path(folder))
                results.append(case)
                if arguments.json:
                    write_json(arguments.json, machine, settings, results)
    print(format_report(machine, settings, results))


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 2)[2],
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=[10, 1000, 10000],
        help="organization sizes in members (default: 10 1000 10000)",
    )
    parser.add_argument(
        "--databases",
        nargs="+",
        choices=["sqlite", "postgresql"],
        default=["sqlite", "postgresql"],
        help="databases to run on (default: both)",
    )
    add_load_arguments(parser)
    add_retry_arguments(parser)
    parser.add_argument(
        "--json", help="also write the raw figures to this file after each case"
    )
    parser.add_argument(
        "--report-from",
        nargs="+",
        metavar="JSON",
        help="print the report of runs saved with --json instead of running; a "
        "case (database and size) in a later file replaces the same case in an "
        "earlier one, and the machine and settings come from the last file",
    )

    arguments = parser.parse_args()
    if arguments.connections < arguments.threads:
        parser.error("--connections must be at least --threads, as wrk requires.")
    return arguments


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--duration",
        type=int,
        default=10,
        help="seconds of each measured wrk run (default 10)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="seconds of the wrk run before each measured run (default 1)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="wrk connections, requests in flight at once (default 32)",
    )
    parser.add_argument(
        "--threads", type=int, default=2, help="wrk threads (default 2)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=multiprocessing.cpu_count() * 2 + 1,
        help="gunicorn worker processes (default: 2 per core plus 1, as in "
        "config/gunicorn.py)",
    )
    parser.add_argument(
        "--port", type=int, default=8161, help="gunicorn's port (default 8161)"
    )


def add_retry_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--busy-limit",
        type=float,
        default=0.25,
        help="CPU cores that processes outside the benchmark may use during a "
        "measured run before it is repeated (default 0.25)",
    )
    parser.add_argument(
        "--attempts",
        type=int,
        default=3,
        help="measured runs per endpoint at most, when other processes are busy "
        "(default 3)",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=60,
        help="seconds to wait at most for other processes to go below "
        "--busy-limit before each run (default 60)",
    )


def make_environment(arguments: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "false",
        "SECURE_SSL_REDIRECT": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "BENCHMARK_VIEWS": "true",
        "WEB_CONCURRENCY": str(arguments.workers),
    }


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run_case(
    database: str, size: int, arguments: argparse.Namespace, folder: Path
) -> dict:
    """Create a database with one organization of `size`, serve it and measure."""
    progress(f"{database}, {size} members: creating and filling the database")
    database_url, database_name, drop_database = create_database(database, folder)
    environment = {**make_environment(arguments), "DATABASE_URL": database_url}
    try:
        organization_id, holding_id = fill_database(environment, database_name, size)
        endpoints = [
            (name, method, path.format(holding=holding_id))
            for name, method, path in ENDPOINTS
        ]
        progress(f"{database}, {size} members: profiling the pages in-process")
        wait_until_quiet(
            CpuMeter(None, lambda: database_backend_pids(database_name)),
            arguments.busy_limit,
            arguments.quiet_wait,
        )
        profile = run_shell(
            environment,
            django_scripts.PROFILE_PAGES.format(
                holding_id=holding_id, repeats=PROFILE_REPEATS, endpoints=endpoints
            ),
        )
        sessions = run_shell(
            environment,
            django_scripts.CREATE_SESSIONS.format(organization_id=organization_id),
        )
        load = measure_load(
            arguments,
            environment,
            folder,
            database_name,
            holding_id,
            endpoints,
            sessions,
        )
        bulk_seconds = None
        if database == "postgresql" and size >= BULK_MEMBERS * (BULK_REPEATS + 1):
            progress(f"timing assign_license_to_members for {BULK_MEMBERS} members")
            bulk_seconds = run_shell(
                environment,
                django_scripts.BULK_ASSIGN.format(
                    organization_id=organization_id,
                    holding_id=holding_id,
                    members=BULK_MEMBERS,
                    repeats=BULK_REPEATS,
                ),
            )
    finally:
        drop_database()
    return {
        "database": database,
        "size": size,
        "administrators": len(sessions),
        "profile": profile,
        "endpoints": load,
        "bulk_assign_seconds": bulk_seconds,
    }


def fill_database(
    environment: dict[str, str], database_name: str, size: int
) -> tuple[int, int]:
    """Migrate and fill the database; return the organization and holding ids."""
    manage(environment, "migrate", "--no-input", "-v0")
    output = manage(
        environment,
        "createbenchmarkorg",
        "--members",
        str(size),
        "--administrators",
        str(min(MAX_ADMINISTRATORS, size)),
    )
    organization_id = int(re.search(r"organization id: (\d+)", output)[1])
    holding_id = int(re.search(r"unlimited holding id: (\d+)", output)[1])
    if not database_name.endswith(".sqlite3"):
        vacuum_analyze(database_name)
    return organization_id, holding_id


def measure_load(
    arguments: argparse.Namespace,
    environment: dict[str, str],
    folder: Path,
    database_name: str,
    holding_id: int,
    endpoints: list[tuple[str, str, str]],
    sessions: list[str],
) -> list[dict]:
    """Start gunicorn, measure every endpoint with wrk, and stop gunicorn.

    The server stops before this returns because workers may still be
    serving requests that wrk gave up on, which would change the data that
    the next step reads.
    """
    sessions_file = folder / "sessions.txt"
    sessions_file.write_text("\n".join(sessions) + "\n")
    server = start_server(environment, arguments.port, folder)
    try:
        wait_until_healthy(arguments.port)
        meter = CpuMeter(server.pid, lambda: database_backend_pids(database_name))
        load = []
        for name, method, path in endpoints:
            progress(f"{database_name}: {name} {method} {path}")
            members_file = folder / "members.txt" if method == "POST" else None
            figures = measure_endpoint(
                arguments,
                environment,
                meter,
                holding_id,
                path,
                sessions,
                sessions_file,
                members_file,
            )
            load.append(figures | {"name": name, "path": path})
    finally:
        stop_server(server)
    return load


def measure_endpoint(
    arguments: argparse.Namespace,
    environment: dict[str, str],
    meter: CpuMeter,
    holding_id: int,
    path: str,
    sessions: list[str],
    sessions_file: Path,
    members_file: Path | None,
) -> dict:
    """Warm the endpoint up with wrk, then measure it; return wrk's figures.

    When processes outside the benchmark used more than --busy-limit cores
    during the measured run, the warm-up and the run are repeated, up to
    --attempts runs in all, and the run with the least such load is kept.
    """
    settings = WrkSettings(arguments.threads, arguments.connections, arguments.port)
    if not members_file:
        check_page(arguments.port, path, sessions[0])
    runs = []
    for attempt in range(1, arguments.attempts + 1):
        wait_until_idle(meter)
        wait_until_quiet(meter, arguments.busy_limit, arguments.quiet_wait)
        try:
            if members_file:
                write_members_to_assign(
                    environment, holding_id, members_file, reset=True
                )
            run_wrk(settings, path, sessions_file, members_file, arguments.warmup)
            wait_until_idle(meter)
            if members_file:
                # The warm-up assigned some members; the measured run starts
                # with the members who still lack the license.
                write_members_to_assign(environment, holding_id, members_file)
            meter.start()
            figures = run_wrk(
                settings, path, sessions_file, members_file, arguments.duration
            )
        except WrkFailed as error:
            sys.exit(str(error))
        figures["cpu_cores"] = meter.stop(figures["wrk_cpu_seconds"])
        figures["attempt"] = attempt
        runs.append(figures)
        other = figures["cpu_cores"]["other"]
        if other <= arguments.busy_limit:
            break
        progress(f"other processes used {other:.2f} cores during run {attempt}")
    figures = min(runs, key=lambda run: run["cpu_cores"]["other"])
    figures["worker_rss_kib"] = worker_rss_kib(meter.gunicorn_pid)
    return figures


def wait_until_idle(meter: CpuMeter) -> None:
    """Wait until gunicorn has finished the requests that wrk gave up on.

    When wrk stops, up to --connections requests may still wait in gunicorn's
    queue, and the workers serve them anyway.
    """
    deadline = time.monotonic() + IDLE_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        meter.start()
        time.sleep(0.5)
        if meter.stop(wrk_cpu_seconds=0.0)["gunicorn"] < IDLE_CORES:
            return
    progress("gunicorn is still busy after wrk stopped; measuring anyway")


def wait_until_quiet(meter: CpuMeter, busy_limit: float, max_seconds: float) -> None:
    """Wait until other processes use at most `busy_limit` cores, or give up."""
    deadline = time.monotonic() + max_seconds
    while True:
        meter.start()
        time.sleep(1)
        other = meter.stop(wrk_cpu_seconds=0.0)["other"]
        if other <= busy_limit:
            return
        if time.monotonic() >= deadline:
            progress(f"other processes still use {other:.2f} cores; measuring anyway")
            return


def create_database(kind: str, folder: Path):
    """Create an empty database; return its URL, its name and a function to drop it."""
    if kind == "sqlite":
        path = folder / f"bench-{secrets.token_hex(4)}.sqlite3"

        def remove_files() -> None:
            for file in folder.glob(f"{path.name}*"):
                file.unlink()

        return f"sqlite:///{path}", path.name, remove_files
    import psycopg

    name = f"bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop_database() -> None:
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{POSTGRES_SERVER}/{name}", name, drop_database


def vacuum_analyze(database_name: str) -> None:
    """Merge the GIN pending lists and refresh the planner's statistics.

    Right after a bulk insert the trigram indexes hold every new row in their
    pending list and the planner has no statistics, so it scans instead of
    using them.
    """
    import psycopg

    with psycopg.connect(
        f"{POSTGRES_SERVER}/{database_name}", autocommit=True
    ) as connection:
        connection.execute("VACUUM ANALYZE")


def database_backend_pids(database_name: str) -> list[int]:
    """Return the PostgreSQL backends connected to the database, or [] for SQLite."""
    if database_name.endswith(".sqlite3"):
        return []
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres") as connection:
        rows = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", [database_name]
        ).fetchall()
    return [pid for (pid,) in rows]


def manage(environment: dict[str, str], *arguments: str, input_text: str = "") -> str:
    completed = subprocess.run(
        [BIN / "python", "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        input=input_text,
        capture_output=True,
        text=True,
        timeout=MANAGE_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"manage.py {' '.join(arguments)} failed:\n{completed.stderr}")
    return completed.stdout


def run_shell(environment: dict[str, str], script: str):
    """Run `script` in `manage.py shell` and return the JSON of its last line."""
    output = manage(environment, "shell", "-v0", input_text=script)
    return json.loads(output.strip().splitlines()[-1])


def write_members_to_assign(
    environment: dict[str, str],
    holding_id: int,
    members_file: Path,
    *,
    reset: bool = False,
) -> None:
    script = django_scripts.MEMBERS_TO_ASSIGN.format(holding_id=holding_id, reset=reset)
    ids = run_shell(environment, script)
    members_file.write_text("\n".join(str(member_id) for member_id in ids) + "\n")


def start_server(
    environment: dict[str, str], port: int, folder: Path
) -> subprocess.Popen:
    log = open(folder / f"gunicorn-{port}.log", "a")  # noqa: SIM115
    # --max-requests 0 turns off worker recycling for the run: a restart every
    # 2,000 requests would cost the fast views more than the slow ones and
    # reset the RSS figures.
    return subprocess.Popen(
        [BIN / "gunicorn", "-c", "config/gunicorn.py", "--max-requests", "0"],
        cwd=ROOT,
        env={**environment, "BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_healthy(port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            # The server is not ready while it refuses or times out.
            time.sleep(0.25)
    sys.exit(f"The server on port {port} did not answer /healthz in time.")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def check_page(port: int, path: str, session: str) -> None:
    """Exit unless the signed-in GET returns 200, not a redirect to sign-in."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={session}"}
    )
    try:
        with opener.open(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        sys.exit(f"GET {path} returned {status}, expected 200. Is the session valid?")


def describe_machine(databases: list[str]) -> dict:
    import django
    import gunicorn

    memory_kib = int(
        re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())[1]
    )
    model = re.search(
        r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M
    )
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    versions = {
        "Python": platform.python_version(),
        "Django": django.__version__,
        "gunicorn": gunicorn.__version__,
        "wrk": wrk.stdout.split(" [")[0].removeprefix("wrk ").strip(),
        "SQLite": sqlite3.sqlite_version,
    }
    if "postgresql" in databases:
        import psycopg

        with psycopg.connect(f"{POSTGRES_SERVER}/postgres") as connection:
            row = connection.execute("SHOW server_version").fetchone()
        versions["PostgreSQL"] = row[0]
    return {
        "cpu": f"{os.cpu_count()} cores ({model[1] if model else 'unknown model'})",
        "memory": f"{memory_kib / 1024 / 1024:.0f} GiB",
        "versions": versions,
        "code": describe_code(),
    }


def describe_code() -> str:
    """Return the commit of ROOT and the tracked files changed outside bench/."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    )
    if commit.returncode != 0:
        return f"{ROOT}, not a git checkout"
    changed = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    changed = [
        line[3:] for line in changed if line and not line[3:].startswith("bench/")
    ]
    if not changed:
        return f"commit {commit.stdout.strip()}"
    return f"commit {commit.stdout.strip()} with changes to {', '.join(changed)}"


def report_from_files(filenames: list[str]) -> str:
    cases = {}
    for filename in filenames:
        saved = json.loads(Path(filename).read_text())
        for case in saved["results"]:
            cases[case["database"], case["size"]] = case
    results = sorted(
        cases.values(),
        key=lambda case: (case["database"] != "sqlite", case["size"]),
    )
    return format_report(saved["machine"], saved["settings"], results)


def write_json(filename: str, machine: dict, settings: dict, results: list) -> None:
    Path(filename).write_text(
        json.dumps(
            {"machine": machine, "settings": settings, "results": results}, indent=2
        )
    )


if __name__ == "__main__":
    main()
