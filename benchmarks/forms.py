#!/usr/bin/env python3
"""Form benchmark: the household intake page under concurrent load (gunicorn, PostgreSQL).

    python benchmarks/forms.py [--households 700] [--workers 4] [--threads 8]
                               [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Sets up a fresh PostgreSQL database (dropped at the end): the shipped form definitions,
one night-by-night shelter, a case manager of its agency, and N households of four
(two adults, two children) enrolled through the records service. Then starts gunicorn
(gthread workers) serving, in the same server processes,

  * ``/bare/``: a bare Flask endpoint (no database, no sign-in): the baseline;
  * the household intake page ``/records/enrollments/<id>/assessment/project_start``
    (GET: four members' forms rendered), and its POST submitting all four intakes
    (HUD rows written: Enrollment fields, IncomeBenefits, Disabilities, HealthAndDV ...),
    each POST for a household not submitted before;
  * the re-evaluation POST ``forms.js`` sends after a change (``/forms/shown``: the
    page's answers and one member's context; the reply lists the items to show);

and, to tell what the page costs from what any implementation of it must cost, three
*floor* endpoints in the same server processes (benchmark code only: the floors section
below): ``bytes only`` (the real page's bytes and headers, rendered once per household
at set-up: no sign-in, no SQL), ``floor GET`` (the app's sign-in check, one SQL statement
reading the household's members and saved answers, then those bytes) and ``floor POST``
(sign-in and CSRF checks, the same request body parsed, and the real submit's INSERTs and
UPDATEs replayed through the driver with fresh keys in one committed transaction: no
validation, no expressions). Set-up checks that they send the same bytes and headers and
add the same rows as the real ones.

All are hit with 10 and 50 concurrent users (threads with keep-alive connections, signed
in as the case manager, CSRF tokens as a browser sends them). Prints median and p95
latency and requests per second for each, each one's share of the bare endpoint's
requests per second in the same run, the server's CPU milliseconds per request
(gunicorn's processes, read from /proc: the figure that holds when neighbours load the
machine), the database's (this database's PostgreSQL backends, sampled from /proc) and
how many new database connections the server's pools opened meanwhile.

    python benchmarks/forms.py --cpu [--households 40] [--floors] [--profile /tmp/forms]

measures instead the CPU time and SQL statements of one GET, one re-evaluation POST and
one submit POST in this process (Flask's test client, no server, no load generator; best
of five rounds, the submit one round): the figure to compare when the load generator and
the server share too few CPUs. ``--floors`` adds the floor GET and floor POST (set-up then
submits three households first, so the submit no longer adds the account's HUD User row).
``--profile`` also writes cProfile statistics of each.
"""
from __future__ import annotations

import argparse
import http.client
import os
import pickle
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "platform"))

EMAIL, PASSWORD = "bench-cm@example.org", "correct horse battery staple"
ADULT = {"living_situation": "116", "length_of_stay": "5", "date_to_street": "2025-01-01", "times_homeless": "4",
         "months_homeless": "113", "enrollment_coc": "XX-500", "disabling_condition": "0"}
CHILD = {"disabling_condition": "0"}
#: The environment variable naming the floors' file (set-up's pages and statements) for gunicorn's app.
FLOORS_FILE = "HMIS_BENCH_FLOORS"
#: The environment variable naming the folder where each gunicorn worker says it has loaded the app.
READY_FOLDER = "HMIS_BENCH_READY"


def bench_app(config: dict | None = None):
    """gunicorn's app: the HMIS with a bare Flask app mounted at /bare (the baseline)."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from hmis import create_app

    app = create_app(config)
    bare = Flask("bare")

    @bare.get("/")
    def ok():
        return "ok"

    floors = os.environ.get(FLOORS_FILE)
    if floors:
        mount_floors(app, bare, pickle.loads(Path(floors).read_bytes()))  # written by prepare_floors
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/bare": bare})
    if os.environ.get(READY_FOLDER):
        (Path(os.environ[READY_FOLDER]) / str(os.getpid())).touch()
    return app


# -- set-up ------------------------------------------------------------------------------------

def set_up(url: str, instance: Path, households: int) -> list[tuple[int, list[int]]]:
    """Definitions, a shelter, a case manager and households; returns (page enrollment id, member ids)."""
    from datetime import date

    from hmis import create_app
    from hmis.access.accounts import create_account
    from hmis.access.operations import system_actor
    from hmis.db import upgrade
    from hmis.definitions.sync import sync_folder
    from hmis.extensions import db
    from hmis.forms.fragments import shipped_folder
    from hmis.forms.rules import rules_file
    from hmis.models import Organization, Project, ProjectCoC
    from hmis.models.privacy import AccountOrganization
    from hmis.records.clients import create_client
    from hmis.records.households import enroll_household
    from hmis.records.ids import local_source

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "REDIS_URL": ""})
    pages = []
    with app.app_context():
        upgrade()
        sync_folder(shipped_folder())
        sync_folder(rules_file().parent)
        source = local_source()
        org = Organization(data_source_id=source.id, organization_id="BO1", organization_name="Bench Shelter Org",
                           victim_service_provider=0)
        project = Project(data_source_id=source.id, project_id="BP1", organization_id="BO1",
                          project_name="Bench Night Shelter", project_type=1, continuum_project=1,
                          operating_start_date=date(2020, 1, 1))
        db.session.add_all([org, project, ProjectCoC(data_source_id=source.id, project_coc_id="BPC1",
                                                     project_id="BP1", coc_code="XX-500", geocode="119999")])
        db.session.flush()
        account = create_account(EMAIL, "Bench Case Manager", PASSWORD, "case_manager")
        db.session.add(AccountOrganization(account_id=account.id, organization_id=org.id))
        db.session.commit()
        actor = system_actor("benchmark set-up")
        for n in range(households):
            people = [("Adult", "1980-03-01", 1), ("Partner", "1982-07-15", 3), ("Kid", "2014-05-05", 2),
                      ("Baby", "2021-11-30", 2)]
            members = [(create_client(actor, {"first_name": f"{first}{n}", "last_name": f"Family{n}", "dob": dob},
                                      organization_id=org.id), rel) for first, dob, rel in people]
            enrollments = enroll_household(actor, project, members, "2026-01-05")
            pages.append((enrollments[0].id, [e.id for e in enrollments]))
            if n % 50 == 49:
                db.session.commit()
        db.session.commit()
        db.engine.dispose()
    return pages


# -- floors: what any implementation of the intake page must do at least ---------------------------
#
# Benchmark code only, never the product's: the page's bytes kept from set-up, the household
# read in one statement, the real submit's writes replayed. Their cost is a floor under any
# implementation of the same page storing the same rows in HUD's tables.

#: The one statement the floor GET runs: the asked enrollment's household (as the real page
#: finds it: same source, project and HouseholdID), each member's client and saved intake.
#: Written so that even the stale statistics of a just-filled database (the benchmark does
#: not ANALYZE) give a live one's plan, index lookups only: the laterals' LIMIT 1 (each
#: matches one row at most) keeps the planner from joining them first, and ``|| ''`` keeps
#: it off the project's index.
FLOOR_MEMBERS_SQL = """
SELECT e.*, c.*, r.*
FROM enrollment AS asked
JOIN enrollment AS e ON e.data_source_id = asked.data_source_id AND e.household_id = asked.household_id
                    AND e.project_id || '' = asked.project_id AND e.date_deleted IS NULL
CROSS JOIN LATERAL (SELECT * FROM client WHERE client.data_source_id = e.data_source_id
                    AND client.personal_id = e.personal_id LIMIT 1) AS c
LEFT JOIN LATERAL (SELECT answers, status, revision FROM form_response
                   WHERE form_response.enrollment_id = e.id AND form_response.stage = 'project_start'
                   LIMIT 1) AS r ON true
WHERE asked.id = :first AND asked.date_deleted IS NULL
ORDER BY e.relationship_to_hoh, e.id
"""
#: A HUD key as :func:`hmis.records.ids.new_key` makes them (and the benchmark's submit tokens).
HEX_KEY = re.compile(r"[0-9a-f]{32}")
#: Parameters holding a household's integer ids, by name without SQLAlchemy's ``_1``/``__0`` suffix.
ID_PARAMETERS = {"enrollment_id": "enrollment_pk", "client_id": "client_pk"}


def household_ids(first: int, member_ids: list[int]) -> dict:
    """What a replayed submit needs of household ``first`` (in an app context): its
    members' row ids and HUD keys, and the address the real submit redirects to."""
    from sqlalchemy import select

    from hmis.extensions import db
    from hmis.models import Client, Enrollment

    rows = db.session.execute(
        select(Enrollment.id, Client.id, Enrollment.enrollment_id, Enrollment.personal_id, Enrollment.household_id)
        .join(Client, (Client.data_source_id == Enrollment.data_source_id)
              & (Client.personal_id == Enrollment.personal_id))
        .where(Enrollment.id.in_(member_ids)).order_by(Enrollment.id)).all()
    return {"enrollment_pk": [r[0] for r in rows], "client_pk": [r[1] for r in rows],
            "enrollment_key": [r[2] for r in rows], "personal_key": [r[3] for r in rows],
            "household_key": rows[0][4], "result_url": f"/records/enrollments/{first}"}


def parameter_template(params: dict, ids: dict) -> dict:
    """Each parameter of a captured statement as ``("same", value)``, ``("fresh", key)`` (a
    new HUD key or token: a fresh one per replay) or ``(field, index)`` into ``ids``."""
    by_text = {ids["household_key"]: ("household_key", None), ids["result_url"]: ("result_url", None)}
    for field in ("enrollment_key", "personal_key"):
        by_text.update({value: (field, index) for index, value in enumerate(ids[field])})
    template = {}
    for name, value in params.items():
        slot = ("same", value)
        if isinstance(value, str):
            slot = by_text.get(value) or (("fresh", value) if HEX_KEY.fullmatch(value) else slot)
        elif isinstance(value, int) and not isinstance(value, bool):
            field = ID_PARAMETERS.get(re.sub(r"_+\d+$", "", name))
            if field and value in ids[field]:
                slot = (field, ids[field].index(value))
        template[name] = slot
    return template


def fill(template: dict, ids: dict, fresh: dict) -> dict:
    """One replay's parameters: ``template`` for household ``ids``, new keys from ``fresh``."""
    params = {}
    for name, (kind, key) in template.items():
        if kind == "same":
            params[name] = key
        elif kind == "fresh":
            params[name] = fresh.setdefault(key, uuid.uuid4().hex)
        else:
            params[name] = ids[kind] if key is None else ids[kind][key]
    return params


def capture_writes(app, client, path: str, form: list) -> list[tuple[str, object]]:
    """The INSERTs and UPDATEs one real submit runs: (SQL, parameters: a dict, or a list of
    dicts for an executemany)."""
    from sqlalchemy import event
    from werkzeug.datastructures import MultiDict

    from hmis.extensions import db

    statements = []

    def seen(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            statements.append((statement, params))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = client.post(path, data=MultiDict(form))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    if response.status_code != 303:
        raise SystemExit(f"the intake POST captured for the floor was refused ({response.status_code})")
    return statements


#: The tables a submit adds rows to; the floor POST must add as many to each as the real one.
ADDED_TO = ("submitted_form", "form_response", "audit_event", "hud_user")


def row_counts(app) -> dict[str, int]:
    from sqlalchemy import text

    from hmis.extensions import db

    with app.app_context():
        counts = {table: db.session.scalar(text(f"SELECT count(*) FROM {table}")) for table in ADDED_TO}
        db.session.rollback()
    return counts


def signed_in(app) -> tuple:
    """A test client signed in as the case manager, and the CSRF token its pages carry."""
    client = app.test_client()
    page = client.get("/sign-in").data
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    page = client.get("/records/find").data
    browser = Browser(0)
    browser.csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    return client, browser


def prepare_floors(config: dict, pages: list, floor_pages: list, path: Path) -> list:
    """Render each household's page once, capture the real submit's writes, check the
    floor endpoints against the real ones, and save it all to ``path`` for gunicorn's
    workers. Uses the first three of ``floor_pages``; returns the others (for the floor POST)."""
    app = bench_app(config)
    client, browser = signed_in(app)
    page_path = "/records/enrollments/{}/assessment/project_start"
    kept, headers = {}, []
    for first, _ in pages:
        response = client.get(page_path.format(first))
        kept[first] = response.data
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("content-length", "set-cookie")]
    # The benchmark's first submit adds the account's HUD User row; the floor replays a later one's.
    for first, members in floor_pages[:2]:
        before = row_counts(app)
        writes = capture_writes(app, client, page_path.format(first), intake_form(browser, members))
        added = {table: count - before[table] for table, count in row_counts(app).items()}
    with app.app_context():
        captured = household_ids(*floor_pages[1])
        households = {first: household_ids(first, members) for first, members in floor_pages[2:]}
    statements = [(sql, [parameter_template(p, captured) for p in params] if isinstance(params, list)
                   else parameter_template(params, captured)) for sql, params in writes]
    path.write_bytes(pickle.dumps({"pages": kept, "headers": headers, "statements": statements,
                                   "households": households}))
    print("floor POST replays the real submit's " + ", ".join(
        " ".join(sql.split()[:3]) + (f" x{len(params)}" if isinstance(params, list) else "")
        for sql, params in writes), flush=True)
    check_floors(config, path, pages[0][0], kept[pages[0][0]], headers, floor_pages[2], added)
    return floor_pages[3:]


def check_floors(config: dict, path: Path, first: int, page: bytes, headers: list, household, added: dict) -> None:
    """The floor endpoints answer as the real ones: the same bytes and headers, and the
    floor POST writes the household's intakes, adding as many rows to each table as the
    real submit ``added`` (a benchmark of the wrong thing fails here)."""
    from sqlalchemy import func, select

    from hmis.extensions import db
    from hmis.models import Enrollment
    from hmis.models.forms import FormResponse

    os.environ[FLOORS_FILE] = str(path)
    try:
        app = bench_app(config)
    finally:
        del os.environ[FLOORS_FILE]
    client, browser = signed_in(app)
    names = sorted(k for k, _ in headers)
    for address in (f"/floor/intake/{first}", f"/bare/bytes/{first}"):
        response = client.get(address)
        if response.data != page or sorted(k for k, _ in response.headers.items()
                                           if k.lower() not in ("content-length", "set-cookie")) != names:
            raise SystemExit(f"{address} does not send the real page's bytes and headers")
    first, members = household
    before = row_counts(app)
    response = client.post(f"/floor/intake/{first}", data=dict(intake_form(browser, members)))
    floor_added = {table: count - before[table] for table, count in row_counts(app).items()}
    with app.app_context():
        saved = db.session.scalar(select(func.count()).select_from(FormResponse)
                                  .where(FormResponse.enrollment_id.in_(members), FormResponse.status == "submitted"))
        answered = db.session.scalar(select(func.count()).select_from(Enrollment)
                                     .where(Enrollment.id.in_(members), Enrollment.disabling_condition == 0))
        db.engine.dispose()
    if response.status_code != 303 or saved != len(members) or answered != len(members) or floor_added != added:
        raise SystemExit(f"the floor POST did not write the household's intakes ({response.status_code}, "
                         f"{saved} responses, {answered} enrollments; rows added {floor_added}, "
                         f"by the real submit {added})")


def mount_floors(app, bare, floors: dict) -> None:
    """The floor endpoints: ``/bare/bytes/<id>`` on the bare app, ``/floor/intake/<id>``
    (GET and POST) on the HMIS app, behind its sign-in and CSRF checks."""
    from flask import Blueprint, Response, abort, redirect, request
    from sqlalchemy import text

    from hmis.extensions import db

    pages, headers, statements, households = (floors[k] for k in ("pages", "headers", "statements", "households"))
    members_statement = text(FLOOR_MEMBERS_SQL)

    @bare.get("/bytes/<int:first>")
    def bytes_only(first: int):
        if first not in pages:
            abort(404)
        return Response(pages[first], headers=headers)

    floor = Blueprint("floor", __name__)

    @floor.get("/floor/intake/<int:first>")
    def floor_get(first: int):
        if first not in pages:
            abort(404)
        db.session.execute(members_statement, {"first": first}).all()
        return Response(pages[first])

    @floor.post("/floor/intake/<int:first>")
    def floor_post(first: int):
        members = sorted({int(name[1:name.index("-")]) for name in request.form if re.match(r"m\d+-", name)})
        ids = households.get(first)
        if ids is None or members != ids["enrollment_pk"]:
            abort(400)
        fresh: dict = {}
        with db.session.connection().connection.driver_connection.cursor() as cursor:
            for sql, template in statements:
                if isinstance(template, list):
                    cursor.executemany(sql, [fill(one, ids, fresh) for one in template])
                else:
                    cursor.execute(sql, fill(template, ids, fresh))
                    if cursor.description:
                        cursor.fetchall()
        db.session.commit()
        return redirect(ids["result_url"], 303)

    app.register_blueprint(floor)


class DatabaseCpu:
    """CPU seconds used so far by one database's PostgreSQL backends, read from /proc.

    A pool's overflow connections come and go during a run, so a thread samples the
    postmaster's children every ``interval`` and keeps each backend's last reading; a
    backend that exits loses at most its last interval's CPU. PostgreSQL's shared
    processes (WAL writer, checkpointer) are not counted."""

    def __init__(self, admin_url: str, database: str, interval: float = 0.1) -> None:
        import psycopg

        with psycopg.connect(admin_url) as admin:
            backend = admin.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.postmaster = int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        self.title = f" {database} ".encode()
        self.interval = interval
        self.ours: dict[tuple[int, str], bool] = {}
        self.seen: dict[tuple[int, str], float] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stopped.wait(self.interval):
            self.seconds()

    def seconds(self) -> float:
        tick = os.sysconf("SC_CLK_TCK")
        with self.lock:
            children = Path(f"/proc/{self.postmaster}/task/{self.postmaster}/children").read_text().split()
            for pid in children:
                try:
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                    key = (int(pid), fields[19])  # starttime: a reused pid is another backend
                    if key not in self.ours:
                        self.ours[key] = self.title in Path(f"/proc/{pid}/cmdline").read_bytes()
                except FileNotFoundError:  # exited meanwhile: its last reading stays
                    continue
                if self.ours[key]:
                    self.seen[key] = (int(fields[11]) + int(fields[12])) / tick
            return sum(self.seen.values())

    def connections(self) -> int:
        """How many backends this database has had so far (a pool's new connections show here)."""
        self.seconds()
        return len(self.seen)

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join()


# -- the load ---------------------------------------------------------------------------------------

class Browser:
    """One signed-in user's cookies and CSRF token; each thread opens its own connection."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def request(self, conn, method: str, path: str, form: dict | list | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), "X-CSRFToken": self.csrf}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, data

    def sign_in(self) -> None:
        conn = self.connection()
        _, page = self.request(conn, "GET", "/sign-in")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
        status, _ = self.request(conn, "POST", "/sign-in", {"email": EMAIL, "password": PASSWORD,
                                                          "csrf_token": token})
        if status not in (302, 303):
            raise SystemExit(f"sign-in failed ({status})")
        _, page = self.request(conn, "GET", "/records/find")
        self.csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
        conn.close()


def intake_form(browser: Browser, enrollment_ids: list[int]) -> list[tuple[str, str]]:
    form = [("csrf_token", browser.csrf), ("token", uuid.uuid4().hex), ("action", "submit")]
    for index, enrollment_id in enumerate(enrollment_ids):
        for key, value in (ADULT if index < 2 else CHILD).items():
            form.append((f"m{enrollment_id}-hud-intake-{key}", value))
    return form


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by gunicorn's master ``pid`` and its workers.

    Under a shared machine's load, latency and requests per second say as much about the
    neighbours as about the server; the server's own CPU per request does not."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid] + [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a worker restarted meanwhile
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def hammer(browser: Browser, concurrency: int, jobs: list, expect: tuple[int, ...], server_pid: int | None = None,
           database: DatabaseCpu | None = None) -> dict:
    """Run ``jobs`` (method, path, form) with ``concurrency`` threads; latency of each, and
    the server's CPU milliseconds per request when ``server_pid`` is given (the database's
    when ``database`` is)."""
    local = threading.local()
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def run(job):
        method, path, form = job
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = browser.connection()
        began = time.perf_counter()
        try:
            status, body = browser.request(conn, method, path, form)
        except (OSError, http.client.HTTPException) as exc:
            local.conn = None
            with lock:
                failures.append(repr(exc))
            return
        took = (time.perf_counter() - began) * 1000
        with lock:
            latencies.append(took)
            if status not in expect:
                failures.append(f"{status} {path}: {body[:200]!r}")

    cpu_before = server_cpu_seconds(server_pid) if server_pid else 0.0
    database_before = database.seconds() if database else 0.0
    connections_before = database.connections() if database else 0
    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, jobs))
    wall = time.perf_counter() - began
    cpu = (server_cpu_seconds(server_pid) - cpu_before) * 1000 / max(1, len(latencies)) if server_pid else None
    database_ms = (database.seconds() - database_before) * 1000 / max(1, len(latencies)) if database else None
    connections = database.connections() - connections_before if database else None
    latencies.sort()
    return {"n": len(latencies), "median": statistics.median(latencies),
            "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)], "rps": len(latencies) / wall,
            "cpu_ms": cpu, "database_ms": database_ms, "connections": connections, "failures": failures}


def submit_batches(households: int) -> list[int]:
    """How many households the submit POST uses at 10 and at 50 users (each once)."""
    batches, unused = [], households
    for _ in (10, 50):
        batches.append(min(300, unused // 2))
        unused -= batches[-1]
    return batches


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=700)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--cpu", action="store_true", help="in-process CPU time per request instead of the load")
    parser.add_argument("--floors", action="store_true", help="with --cpu: also the floor GET and floor POST")
    parser.add_argument("--profile", metavar="PREFIX", help="with --cpu: write cProfile stats of each request kind to "
                                                            "PREFIX-get.prof, PREFIX-shown.prof, PREFIX-submit.prof "
                                                            "(the times printed then include the profiler's cost)")
    args = parser.parse_args(argv)
    if args.cpu:
        args.households = min(args.households, 40)

    import psycopg

    name = f"hmis_bench_forms_{uuid.uuid4().hex[:8]}"
    url = args.admin_url.rsplit("/", 1)[0] + "/" + name
    instance = Path(tempfile.mkdtemp(prefix="hmis-bench-forms-"))
    with psycopg.connect(args.admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    server = database = None
    try:
        began = time.perf_counter()
        # The floor POST's households: as many as the submit POST's, plus three for set-up.
        extra = sum(submit_batches(args.households)) + 3
        if args.cpu:  # the floor POST: as many households as the submit POST's
            extra = args.households - args.households // 2 + 3 if args.floors else 0
        pages = set_up(url, instance, args.households + extra)
        pages, floor_pages = pages[:args.households], pages[args.households:]
        print(f"set up {len(pages)} households of four (and {extra} for the floor POST) in "
              f"{time.perf_counter() - began:.0f} s", flush=True)
        floors, ready = instance / "floors.pickle", instance / "ready"
        config = {"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "REDIS_URL": ""}
        if args.cpu:
            if args.floors:
                floor_pages = prepare_floors(config, pages[:len(pages) // 2], floor_pages, floors)
                os.environ[FLOORS_FILE] = str(floors)
            return cpu_per_request(url, instance, pages, args.profile, floor_pages)
        ready.mkdir()
        floor_pages = prepare_floors(config, pages, floor_pages, floors)
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", HMIS_INSTANCE_PATH=str(instance), REDIS_URL="",
                   PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]),
                   **{FLOORS_FILE: str(floors), READY_FOLDER: str(ready)})
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{args.port}",
             "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
             "--log-level", "warning", "benchmarks.forms:bench_app()"], cwd=ROOT, env=env)
        browser = Browser(args.port)
        # Every worker loaded before the first request: a worker still loading when the
        # warm-up starts leaves more of the first requests to the others.
        for _ in range(300):
            if len(list(ready.iterdir())) >= args.workers:
                break
            time.sleep(0.2)
        for _ in range(100):
            try:
                conn = browser.connection()
                if browser.request(conn, "GET", "/bare/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        browser.sign_in()
        database = DatabaseCpu(args.admin_url, name)
        return run(browser, pages, floor_pages, args, server.pid, database)
    finally:
        if database is not None:
            database.stop()
        if server is not None:
            server.terminate()
            server.wait(30)
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def shown_form(browser: Browser, page_html: bytes, enrollment_ids: list[int], member: int) -> list[tuple[str, str]]:
    """What ``forms.js`` posts to ``forms.shown`` after a change in member ``member``'s form:
    the whole page's answers (every member's) and that form's context facts."""
    form = [pair for pair in intake_form(browser, enrollment_ids) if pair[0] not in ("csrf_token", "action")]
    prefix = f"m{enrollment_ids[member]}-hud-intake-"
    wrapper = re.search(rb'<div class="hmis-form"[^>]*data-context-prefix="' + re.escape(prefix.encode()) + rb'"[^>]*>',
                        page_html)
    if wrapper is None:
        wrapper = re.search(rb'<div class="hmis-form"[^>]*>', page_html[page_html.index(prefix.encode()) - 2000:])
    for name, value in re.findall(rb'data-context-([a-z_]+)="([^"]*)"', wrapper.group(0)):
        form.append((f"_ctx_{name.decode()}", value.decode()))
    return form


class QueryCounter:
    """Counts the SQL statements an engine runs (to report queries per request)."""

    def __init__(self, engine) -> None:
        from sqlalchemy import event

        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *args) -> None:
        self.count += 1


def cpu_per_request(url: str, instance: Path, pages: list[tuple[int, list[int]]], profile: str | None = None,
                    floor_pages: list | None = None) -> int:
    """CPU milliseconds and SQL statements of one intake GET, one re-evaluation POST
    (``forms.shown``) and one submit POST in this process (Flask's test client); and of
    the floor GET and POST when the floors are mounted (``floor_pages``: their households)."""
    from werkzeug.datastructures import MultiDict

    app = bench_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "REDIS_URL": ""})
    client, browser = signed_in(app)
    with app.app_context():
        from hmis.extensions import db

        counter = QueryCounter(db.engine)
    page_path = "/records/enrollments/{}/assessment/project_start"
    half = len(pages) // 2
    for first, _ in pages[:3]:  # warm: imports, compiled forms, templates
        client.get(page_path.format(first))
    first, members = pages[0]
    page_html = client.get(page_path.format(first)).data
    shown = [shown_form(browser, page_html, members, n) for n in range(len(members))]
    client.post("/forms/shown", data=MultiDict(shown[0]), headers={"X-CSRFToken": browser.csrf})

    def bare_all() -> None:
        for _ in range(half * 10):
            client.get("/bare/")

    def get_all() -> None:
        for first, _ in pages[:half]:
            if client.get(page_path.format(first)).status_code != 200:
                raise SystemExit("the intake page did not load")

    def shown_all() -> None:
        for first, _ in pages[:half]:
            for form in shown:
                response = client.post("/forms/shown", data=MultiDict(form), headers={"X-CSRFToken": browser.csrf})
                if response.status_code != 200:
                    raise SystemExit(f"the re-evaluation POST was refused ({response.status_code})")

    def submit_all() -> None:
        for first, members in pages[half:]:
            response = client.post(page_path.format(first), data=MultiDict(intake_form(browser, members)))
            if response.status_code != 303:
                raise SystemExit(f"the intake POST was refused ({response.status_code})")

    def floor_get_all() -> None:
        for first, _ in pages[:half]:
            if client.get(f"/floor/intake/{first}").status_code != 200:
                raise SystemExit("the floor GET failed")

    def floor_post_all() -> None:
        for first, members in floor_pages:
            if client.post(f"/floor/intake/{first}", data=MultiDict(intake_form(browser, members))).status_code != 303:
                raise SystemExit("the floor POST failed")

    jobs = [("bare endpoint", "bare", bare_all, half * 10, 5),
            ("intake GET", "get", get_all, half, 5),
            ("re-evaluation POST", "shown", shown_all, half * len(shown), 5),
            ("submit POST", "submit", submit_all, len(pages) - half, 1)]
    if os.environ.get(FLOORS_FILE):
        jobs += [("floor GET", "floor-get", floor_get_all, half, 5),
                 ("floor POST", "floor-post", floor_post_all, len(floor_pages or []), 1)]
    figures = {}
    for label, slug, job, count, rounds in jobs:
        best, queries = None, 0
        for _ in range(rounds):
            counter.count = 0
            began = time.process_time()
            if profile:
                import cProfile

                profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
                profiler.runcall(job)
                profiler.dump_stats(f"{profile}-{slug}.prof")
            else:
                job()
            took = (time.process_time() - began) / count * 1000
            best = took if best is None else min(best, took)
            queries = counter.count / count
        figures[label] = (best, queries)
    print("in-process CPU per request (PostgreSQL, Flask test client; best of 5 rounds, submit: one round):")
    bare_ms = figures["bare endpoint"][0]
    for label, (ms, queries) in figures.items():
        print(f"  {label:<20} {ms:6.2f} ms  {queries:5.1f} queries  {ms / bare_ms:6.1f} x the bare endpoint's CPU")
    if os.environ.get(FLOORS_FILE):
        replayed = len(pickle.loads(Path(os.environ[FLOORS_FILE]).read_bytes())["statements"])
        print(f"  (the floor POST's queries: the sign-in check's; its {replayed} replayed writes go to the driver "
              "directly, uncounted)")
    with app.app_context():
        db.engine.dispose()
    return 0


def run(browser: Browser, pages, floor_pages, args, server_pid: int, database: DatabaseCpu) -> int:
    page_path = "/records/enrollments/{}/assessment/project_start"
    # Warm every worker: imports, compiled forms, connection pools.
    hammer(browser, 8, [("GET", page_path.format(pages[i % len(pages)][0]), None) for i in range(40)], (200,))
    # What forms.js posts after a change, for each member of a few households (from their pages).
    conn = browser.connection()
    shown_forms = []
    for first, members in pages[:25]:
        page_html = browser.request(conn, "GET", page_path.format(first))[1]
        shown_forms += [shown_form(browser, page_html, members, n) for n in range(len(members))]
    conn.close()
    unused, floor_unused = list(pages), list(floor_pages)
    results = {}
    meters = {"server_pid": server_pid, "database": database}
    for concurrency in (10, 50):
        bare = hammer(browser, concurrency, [("GET", "/bare/", None)] * 3000, (200,), **meters)
        get = hammer(browser, concurrency, [("GET", page_path.format(pages[i % len(pages)][0]), None)
                                            for i in range(600)], (200,), **meters)
        shown = hammer(browser, concurrency, [("POST", "/forms/shown", shown_forms[i % len(shown_forms)])
                                              for i in range(600)], (200,), **meters)
        count = min(300, len(unused) // 2)
        batch, unused = unused[:count], unused[count:]
        post = hammer(browser, concurrency, [("POST", page_path.format(first), intake_form(browser, members))
                                             for first, members in batch], (303,), **meters)
        # The floors, after the rows above so those run as they always did.
        only_bytes = hammer(browser, concurrency, [("GET", f"/bare/bytes/{pages[i % len(pages)][0]}", None)
                                                   for i in range(600)], (200,), **meters)
        floor_get = hammer(browser, concurrency, [("GET", f"/floor/intake/{pages[i % len(pages)][0]}", None)
                                                  for i in range(600)], (200,), **meters)
        batch, floor_unused = floor_unused[:count], floor_unused[count:]
        floor_post = hammer(browser, concurrency, [("POST", f"/floor/intake/{first}", intake_form(browser, members))
                                                   for first, members in batch], (303,), **meters)
        results[concurrency] = {"bare endpoint": bare, "intake GET": get, "re-evaluation": shown,
                                "submit POST": post, "bytes only": only_bytes, "floor GET": floor_get,
                                "floor POST": floor_post}
    print(f"\nhousehold-of-four intake, gunicorn {args.workers} workers x {args.threads} threads (gthread), "
          f"PostgreSQL, {os.cpu_count()} CPUs shared with the load generator")
    print(f"{'users':>5}  {'endpoint':<14} {'requests':>8} {'median ms':>10} {'p95 ms':>8} {'req/s':>8} "
          f"{'vs bare':>8} {'server CPU ms/req':>18} {'database CPU ms/req':>20} {'new DB conns':>12}  failures")
    met = {"product": True, "floor GET": True, "floor POST": True}
    for concurrency, rows in results.items():
        bare_rps = rows["bare endpoint"]["rps"]
        for label, r in rows.items():
            share = r["rps"] / bare_rps
            print(f"{concurrency:>5}  {label:<14} {r['n']:>8} {r['median']:>10.1f} {r['p95']:>8.1f} {r['rps']:>8.1f} "
                  f"{share:>7.0%} {r['cpu_ms']:>18.2f} {r['database_ms']:>20.2f} {r['connections']:>12}  "
                  f"{len(r['failures'])}")
            for failure in r["failures"][:3]:
                print(f"         {failure}")
            goal = "product" if label in ("intake GET", "re-evaluation", "submit POST") else label
            if goal in met and concurrency == 50:
                met[goal] = met[goal] and r["p95"] < 100 and share >= 0.25
    print("\ngoal at 50 users (p95 < 100 ms and >= 25% of the bare endpoint's req/s): "
          + ", ".join(f"{goal}: {'met' if ok else 'NOT met'}" for goal, ok in met.items()))
    return 0

if __name__ == "__main__":
    sys.exit(main())
