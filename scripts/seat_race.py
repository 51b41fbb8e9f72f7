"""Race many administrators for the last seats through real gunicorn servers.

    .venv/bin/python scripts/seat_race.py postgresql   # 2 servers, 200 at once
    .venv/bin/python scripts/seat_race.py sqlite       # 1 server, 8 at once

Each run creates its own database (a new PostgreSQL database, or a SQLite
file in a temporary folder), an organization whose holding has exactly 5
seats left, and one member without the license per request. Every request
assigns the license to a different member, signed in as one of several
administrators, spread over the servers. The run passes when exactly 5
requests succeed, every other one gets the no-seats message, none gets a
5xx or "database is locked", and the database holds exactly the quantity.
It stops its servers and drops its database by itself; every network call
goes to 127.0.0.1.
"""

import argparse
import os
import secrets
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
POSTGRES_SERVER = os.environ.get(
    "POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432"
)
SEATS_LEFT = 5
QUANTITY = 20
ADMINISTRATORS = 10
REQUEST_TIMEOUT_SECONDS = 60
STARTUP_TIMEOUT_SECONDS = 60

SCENARIOS = {
    # servers, workers per server, concurrent requests, requests in all
    "postgresql": {"servers": 2, "workers": 4, "concurrency": 200, "requests": 200},
    "sqlite": {"servers": 1, "workers": 4, "concurrency": 8, "requests": 200},
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", choices=SCENARIOS)
    parser.add_argument("--first-port", type=int, default=8151)
    arguments = parser.parse_args()
    scenario = SCENARIOS[arguments.database]

    with tempfile.TemporaryDirectory(prefix="seat-race-") as folder:
        database_url, drop_database = create_database(arguments.database, folder)
        environment = {
            **os.environ,
            "DATABASE_URL": database_url,
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1",
            "WEB_CONCURRENCY": str(scenario["workers"]),
            "LOG_LEVEL": "WARNING",
        }
        servers = []
        try:
            manage(environment, "migrate", "--no-input", "-v0")
            manage(environment, "collectstatic", "--no-input", "-v0")
            holding_id, sessions, members = prepare(environment, scenario["requests"])
            ports = range(
                arguments.first_port, arguments.first_port + scenario["servers"]
            )
            servers = [start_server(environment, port, folder) for port in ports]
            for port in ports:
                wait_until_healthy(port)
            results = race(list(ports), holding_id, sessions, members, scenario)
            assigned = count_assignments(environment, holding_id)
        finally:
            for server in servers:
                stop_server(server)
            drop_database()

    passed = report(arguments.database, scenario, results, assigned)
    sys.exit(0 if passed else 1)


def create_database(kind, folder):
    if kind == "sqlite":
        return f"sqlite:///{folder}/seat-race.sqlite3", lambda: None
    import psycopg

    name = f"seat_race_{secrets.token_hex(4)}"
    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')

    def drop_database():
        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{POSTGRES_SERVER}/{name}", drop_database


def manage(environment, *arguments, input_text=None):
    completed = subprocess.run(
        [BIN / "python", "manage.py", *arguments],
        cwd=ROOT,
        env=environment,
        input=input_text,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(f"manage.py {' '.join(arguments)} failed:\n{completed.stderr}")
    return completed.stdout


# Runs inside `manage.py shell`: builds the organization and prints the
# holding id, one session key per administrator and the member ids.
PREPARE = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import Organization, User
from licensing.models import Assignment, Holding, LicenseType

organization = Organization.objects.create(name="Seat race", region="CA")
group = Group.objects.get(name="Administrators")
license_type, _ = LicenseType.objects.get_or_create(
    slug="virtual-fax", defaults={{"name": "Virtual Fax", "summary": "Fax"}}
)
holding = Holding.objects.create(
    organization=organization, license_type=license_type, quantity={quantity}
)
sessions = []
for number in range({administrators}):
    administrator = User.objects.create_user(
        f"admin{{number}}@race.example", organization=organization
    )
    administrator.groups.add(group)
    session = SessionStore()
    session[SESSION_KEY] = str(administrator.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = administrator.get_session_auth_hash()
    session.create()
    sessions.append(session.session_key)
holders = User.objects.bulk_create(
    User(email=f"holder{{n}}@race.example", organization=organization)
    for n in range({quantity} - {seats_left})
)
Assignment.objects.bulk_create(Assignment(holding=holding, member=m) for m in holders)
members = User.objects.bulk_create(
    User(email=f"member{{n}}@race.example", organization=organization)
    for n in range({requests})
)
print(holding.pk)
print(",".join(sessions))
print(",".join(str(member.pk) for member in members))
"""


def prepare(environment, requests):
    script = PREPARE.format(
        quantity=QUANTITY,
        seats_left=SEATS_LEFT,
        administrators=ADMINISTRATORS,
        requests=requests,
    )
    output = manage(environment, "shell", "-v0", input_text=script)
    holding_id, sessions, members = output.strip().splitlines()[-3:]
    return int(holding_id), sessions.split(","), [int(m) for m in members.split(",")]


def start_server(environment, port, folder):
    log = open(Path(folder) / f"gunicorn-{port}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [BIN / "gunicorn", "-c", "config/gunicorn.py"],
        cwd=ROOT,
        env={**environment, "BIND": f"127.0.0.1:{port}"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until_healthy(port):
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.25)
    sys.exit(f"The server on port {port} did not answer /healthz in time.")


def stop_server(server):
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def race(ports, holding_id, sessions, members, scenario):
    token = "".join(secrets.choice(string.ascii_letters) for _ in range(32))

    def assign(index):
        port = ports[index % len(ports)]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/settings/licenses/{holding_id}/assign/",
            data=f"member={members[index]}".encode(),
            headers={
                "Cookie": f"sessionid={sessions[index % len(sessions)]}; "
                f"csrftoken={token}",
                "X-CSRFToken": token,
                "HX-Request": "true",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            method="POST",
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as r:
                status, body = r.status, r.read().decode()
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            status, body = 0, str(error)
        return status, body, time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=scenario["concurrency"]) as pool:
        results = list(pool.map(assign, range(scenario["requests"])))
    return {"responses": results, "seconds": time.monotonic() - started}


def count_assignments(environment, holding_id):
    script = (
        "from licensing.models import Assignment\n"
        f"print(Assignment.objects.filter(holding_id={holding_id}).count())\n"
    )
    return int(manage(environment, "shell", "-v0", input_text=script).split()[-1])


def report(kind, scenario, results, assigned):
    responses = results["responses"]
    succeeded = sum(1 for status, body, _ in responses if status == 200)
    no_seats = sum(
        1
        for status, body, _ in responses
        if status == 409 and "seats remaining" in body
    )
    server_errors = sum(1 for status, _, _ in responses if status >= 500 or status == 0)
    locked = sum(1 for _, body, _ in responses if "database is locked" in body)
    other = len(responses) - succeeded - no_seats - server_errors
    latencies = sorted(seconds for _, _, seconds in responses)
    p99 = latencies[max(0, round(0.99 * len(latencies)) - 1)]
    passed = (
        succeeded == SEATS_LEFT
        and no_seats == len(responses) - SEATS_LEFT
        and server_errors == 0
        and locked == 0
        and assigned == QUANTITY
    )
    print(f"database: {kind}")
    print(
        f"servers: {scenario['servers']} x {scenario['workers']} gunicorn workers; "
        f"{scenario['requests']} requests, {scenario['concurrency']} at once"
    )
    print(f"assigned (200): {succeeded}  no seats (409): {no_seats}")
    print(f"5xx or no answer: {server_errors}  'database is locked': {locked}")
    print(f"other answers: {other}")
    print(f"assignments in the database: {assigned} of quantity {QUANTITY}")
    print(
        f"wall time: {results['seconds']:.2f} s; latency p50 "
        f"{statistics.median(latencies) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )
    print("result:", "PASS" if passed else "FAIL")
    return passed


if __name__ == "__main__":
    main()
