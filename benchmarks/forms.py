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

and hits each with 10 and 50 concurrent users (threads with keep-alive connections,
signed in as the case manager, CSRF tokens as a browser sends them). Prints median and
p95 latency and requests per second for each, each one's share of the bare endpoint's
requests per second in the same run, and the server's CPU milliseconds per request
(gunicorn's processes, read from /proc: the figure that holds when neighbours load the
machine).

    python benchmarks/forms.py --cpu [--households 40] [--profile /tmp/forms]

measures instead the CPU time and SQL statements of one GET, one re-evaluation POST and
one submit POST in this process (Flask's test client, no server, no load generator; best
of five rounds, the submit one round): the figure to compare when the load generator and
the server share too few CPUs. ``--profile`` also writes cProfile statistics of each.
"""
from __future__ import annotations

import argparse
import http.client
import os
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

    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/bare": bare})
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


def hammer(browser: Browser, concurrency: int, jobs: list, expect: tuple[int, ...], server_pid: int | None = None) -> dict:
    """Run ``jobs`` (method, path, form) with ``concurrency`` threads; latency of each, and
    the server's CPU milliseconds per request when ``server_pid`` is given."""
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
    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, jobs))
    wall = time.perf_counter() - began
    cpu = (server_cpu_seconds(server_pid) - cpu_before) * 1000 / max(1, len(latencies)) if server_pid else None
    latencies.sort()
    return {"n": len(latencies), "median": statistics.median(latencies),
            "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)], "rps": len(latencies) / wall,
            "cpu_ms": cpu, "failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=700)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--cpu", action="store_true", help="in-process CPU time per request instead of the load")
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
    server = None
    try:
        began = time.perf_counter()
        pages = set_up(url, instance, args.households)
        print(f"set up {len(pages)} households of four in {time.perf_counter() - began:.0f} s", flush=True)
        if args.cpu:
            return cpu_per_request(url, instance, pages, args.profile)
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY="bench", HMIS_INSTANCE_PATH=str(instance), REDIS_URL="",
                   PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "platform")]))
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--bind", f"127.0.0.1:{args.port}",
             "--workers", str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
             "--log-level", "warning", "benchmarks.forms:bench_app()"], cwd=ROOT, env=env)
        browser = Browser(args.port)
        for _ in range(100):
            try:
                conn = browser.connection()
                if browser.request(conn, "GET", "/bare/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        browser.sign_in()
        return run(browser, pages, args, server.pid)
    finally:
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


def cpu_per_request(url: str, instance: Path, pages: list[tuple[int, list[int]]], profile: str | None = None) -> int:
    """CPU milliseconds and SQL statements of one intake GET, one re-evaluation POST
    (``forms.shown``) and one submit POST in this process (Flask's test client)."""
    from werkzeug.datastructures import MultiDict

    app = bench_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "REDIS_URL": ""})
    client = app.test_client()
    page = client.get("/sign-in").data
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    page = client.get("/records/find").data
    browser = Browser(0)
    browser.csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
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

    figures = {}
    for label, slug, job, count, rounds in (
            ("bare endpoint", "bare", bare_all, half * 10, 5),
            ("intake GET", "get", get_all, half, 5),
            ("re-evaluation POST", "shown", shown_all, half * len(shown), 5),
            ("submit POST", "submit", submit_all, len(pages) - half, 1)):
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
    with app.app_context():
        db.engine.dispose()
    return 0


def run(browser: Browser, pages, args, server_pid: int) -> int:
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
    unused = list(pages)
    results = {}
    for concurrency in (10, 50):
        bare = hammer(browser, concurrency, [("GET", "/bare/", None)] * 3000, (200,), server_pid)
        get = hammer(browser, concurrency, [("GET", page_path.format(pages[i % len(pages)][0]), None)
                                            for i in range(600)], (200,), server_pid)
        shown = hammer(browser, concurrency, [("POST", "/forms/shown", shown_forms[i % len(shown_forms)])
                                              for i in range(600)], (200,), server_pid)
        count = min(300, len(unused) // 2)
        batch, unused = unused[:count], unused[count:]
        post = hammer(browser, concurrency, [("POST", page_path.format(first), intake_form(browser, members))
                                             for first, members in batch], (303,), server_pid)
        results[concurrency] = {"bare endpoint": bare, "intake GET": get, "re-evaluation": shown,
                                "submit POST": post}
    print(f"\nhousehold-of-four intake, gunicorn {args.workers} workers x {args.threads} threads (gthread), "
          f"PostgreSQL, {os.cpu_count()} CPUs shared with the load generator")
    print(f"{'users':>5}  {'endpoint':<14} {'requests':>8} {'median ms':>10} {'p95 ms':>8} {'req/s':>8} "
          f"{'vs bare':>8} {'server CPU ms/req':>18}  failures")
    ok = True
    for concurrency, rows in results.items():
        bare_rps = rows["bare endpoint"]["rps"]
        for label, r in rows.items():
            share = r["rps"] / bare_rps
            print(f"{concurrency:>5}  {label:<14} {r['n']:>8} {r['median']:>10.1f} {r['p95']:>8.1f} {r['rps']:>8.1f} "
                  f"{share:>7.0%} {r['cpu_ms']:>18.2f}  {len(r['failures'])}")
            for failure in r["failures"][:3]:
                print(f"         {failure}")
            if label != "bare endpoint" and concurrency == 50:
                ok = ok and r["p95"] < 100 and share >= 0.25
    print(f"\ngoal at 50 users (p95 < 100 ms and >= 25% of the bare endpoint's req/s): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
