"""Python run by `manage.py shell` against the benchmark database.

Each script prints one JSON line last, which bench/run.py reads. The
placeholders in braces are filled with str.format, so literal braces are
doubled.
"""

# Signs in every administrator of the organization, as the login view would,
# by creating a session for each, and prints the session keys.
CREATE_SESSIONS = """
import json
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from accounts.models import User

keys = []
organization_members = User.objects.filter(organization_id={organization_id})
for administrator in organization_members.administrators().order_by("pk"):
    session = SessionStore()
    session[SESSION_KEY] = str(administrator.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = administrator.get_session_auth_hash()
    session.create()
    keys.append(session.session_key)
print(json.dumps(keys))
"""

# Prints the ids of the active members who lack the holding's license type, or
# of every active member when all hold it, so that every assign returns 409.
# With {reset} true it first removes the license from the members to whom an
# administrator assigned it, as the assign requests of earlier runs did, so that
# every measured run starts with the same members lacking the license.
MEMBERS_TO_ASSIGN = """
import json
from licensing import services
from licensing.models import Event, Holding

holding = Holding.objects.get(pk={holding_id})
if {reset}:
    services.remove_license_from_members(
        holding=holding,
        members=holding.organization.members.filter(
            assignments__holding=holding, assignments__assigned_by__isnull=False
        ),
        acting_user=None,
        source=Event.Source.COMMAND,
    )
active = holding.organization.members.filter(is_active=True).order_by("pk")
lacking = active.exclude(assignments__holding=holding)
members = lacking if lacking.exists() else active
print(json.dumps(list(members.values_list("pk", flat=True))))
"""

# Requests each endpoint in-process through Django's test client, signed in
# as an administrator: one warm-up, then {repeats} timed requests. Prints,
# per endpoint, the median milliseconds of the whole request and of its SQL,
# the query count and the response size. The assign POST takes a member who
# lacks the license each time, from the highest ids down, and a holder (409)
# once none lacks it.
PROFILE_PAGES = """
import json
import statistics
import time
from django.db import connection
from django.test import Client
from accounts.models import User
from licensing.models import Holding


class QueryTimer:
    def __init__(self):
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += time.perf_counter() - started


holding = Holding.objects.get(pk={holding_id})
active = holding.organization.members.filter(is_active=True)
administrator = active.administrators().order_by("pk").first()
members_to_assign = list(
    active.exclude(assignments__holding=holding)
    .order_by("-pk")
    .values_list("pk", flat=True)[: {repeats} + 1]
)
holder = active.filter(assignments__holding=holding).first()
client = Client(HTTP_HOST="127.0.0.1")
client.force_login(administrator)


def send(method, path):
    if method == "GET":
        return client.get(path)
    member = members_to_assign.pop() if members_to_assign else holder.pk
    return client.post(path, {{"member": member}}, headers={{"HX-Request": "true"}})


profile = {{}}
for name, method, path in {endpoints}:
    send(method, path)
    totals, sql_seconds = [], []
    for _ in range({repeats}):
        timer = QueryTimer()
        started = time.perf_counter()
        with connection.execute_wrapper(timer):
            response = send(method, path)
        totals.append(time.perf_counter() - started)
        sql_seconds.append(timer.seconds)
    profile[name] = {{
        "status": response.status_code,
        "total_ms": statistics.median(totals) * 1000,
        "sql_ms": statistics.median(sql_seconds) * 1000,
        "queries": timer.count,
        "bytes": len(response.content),
    }}
print(json.dumps(profile))
"""

# Gives the unlimited holding to {members} members who lack it, {repeats}
# times with different members, as the Members bulk POST does: the members
# are a queryset that the service evaluates. Prints the seconds of each call.
BULK_ASSIGN = """
import json
import time
from accounts.models import User
from licensing import services
from licensing.models import Holding

holding = Holding.objects.get(pk={holding_id})
active = User.objects.filter(organization_id={organization_id}, is_active=True)
administrator = active.administrators().order_by("pk").first()
lacking = list(
    active.exclude(assignments__holding=holding)
    .order_by("pk")
    .values_list("pk", flat=True)[: {members} * {repeats}]
)
seconds = []
for start in range(0, len(lacking) - {members} + 1, {members}):
    members = active.filter(pk__in=lacking[start : start + {members}])
    started = time.perf_counter()
    assigned = services.assign_license_to_members(
        holding=holding, members=members, acting_user=administrator
    )
    seconds.append(time.perf_counter() - started)
    assert len(assigned) == {members}, len(assigned)
print(json.dumps(seconds))
"""
