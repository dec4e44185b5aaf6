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

and hits each with 10 and 50 concurrent users (threads with keep-alive connections,
signed in as the case manager, CSRF tokens as a browser sends them). Prints median and
p95 latency and requests per second for each, and each one's share of the bare
endpoint's requests per second in the same run.

    python benchmarks/forms.py --cpu [--households 40]

measures instead the CPU time one GET and one POST of that page cost in this process
(Flask's test client, no server, no load generator; best of five rounds for the GET):
the figure to compare when the load generator and the server share too few CPUs.
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


def bench_app():
    """gunicorn's app: the HMIS with a bare Flask app mounted at /bare (the baseline)."""
    from flask import Flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from hmis import create_app

    app = create_app()
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
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
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


def hammer(browser: Browser, concurrency: int, jobs: list, expect: tuple[int, ...]) -> dict:
    """Run ``jobs`` (method, path, form) with ``concurrency`` threads; latency of each."""
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

    began = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, jobs))
    wall = time.perf_counter() - began
    latencies.sort()
    return {"n": len(latencies), "median": statistics.median(latencies),
            "p95": latencies[max(0, int(len(latencies) * 0.95) - 1)], "rps": len(latencies) / wall,
            "failures": failures}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=700)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--cpu", action="store_true", help="in-process CPU time per request instead of the load")
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
            return cpu_per_request(url, instance, pages)
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
        return run(browser, pages, args)
    finally:
        if server is not None:
            server.terminate()
            server.wait(30)
        with psycopg.connect(args.admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def cpu_per_request(url: str, instance: Path, pages: list[tuple[int, list[int]]]) -> int:
    """CPU milliseconds of one intake GET and POST in this process (Flask's test client)."""
    from werkzeug.datastructures import MultiDict

    from hmis import create_app

    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench", "REDIS_URL": ""})
    client = app.test_client()
    page = client.get("/sign-in").data
    token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page).group(1).decode()
    client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token})
    page = client.get("/records/find").data
    browser = Browser(0)
    browser.csrf = re.search(rb'name="csrf-token" content="([^"]+)"', page).group(1).decode()
    page_path = "/records/enrollments/{}/assessment/project_start"
    half = len(pages) // 2
    for first, _ in pages[:3]:  # warm: imports, compiled forms, templates
        client.get(page_path.format(first))
    rounds = []
    for _ in range(5):
        began = time.process_time()
        for first, _ in pages[:half]:
            if client.get(page_path.format(first)).status_code != 200:
                raise SystemExit("the intake page did not load")
        rounds.append((time.process_time() - began) / half * 1000)
    began = time.process_time()
    for first, members in pages[half:]:
        response = client.post(page_path.format(first), data=MultiDict(intake_form(browser, members)))
        if response.status_code != 303:
            raise SystemExit(f"the intake POST was refused ({response.status_code})")
    post_ms = (time.process_time() - began) / (len(pages) - half) * 1000
    print(f"in-process CPU per request (PostgreSQL): intake GET {min(rounds):.1f} ms, intake POST {post_ms:.1f} ms")
    with app.app_context():
        from hmis.extensions import db

        db.engine.dispose()
    return 0


def run(browser: Browser, pages, args) -> int:
    page_path = "/records/enrollments/{}/assessment/project_start"
    # Warm every worker: imports, compiled forms, connection pools.
    hammer(browser, 8, [("GET", page_path.format(pages[i % len(pages)][0]), None) for i in range(40)], (200,))
    unused = list(pages)
    results = {}
    for concurrency in (10, 50):
        bare = hammer(browser, concurrency, [("GET", "/bare/", None)] * 3000, (200,))
        get = hammer(browser, concurrency, [("GET", page_path.format(pages[i % len(pages)][0]), None)
                                            for i in range(600)], (200,))
        count = min(300, len(unused) // 2)
        batch, unused = unused[:count], unused[count:]
        post = hammer(browser, concurrency, [("POST", page_path.format(first), intake_form(browser, members))
                                             for first, members in batch], (303,))
        results[concurrency] = {"bare endpoint": bare, "intake GET": get, "intake POST": post}
    print(f"\nhousehold-of-four intake, gunicorn {args.workers} workers x {args.threads} threads (gthread), "
          f"PostgreSQL, {os.cpu_count()} CPUs shared with the load generator")
    print(f"{'users':>5}  {'endpoint':<14} {'requests':>8} {'median ms':>10} {'p95 ms':>8} {'req/s':>8} "
          f"{'vs bare':>8}  failures")
    ok = True
    for concurrency, rows in results.items():
        bare_rps = rows["bare endpoint"]["rps"]
        for label, r in rows.items():
            share = r["rps"] / bare_rps
            print(f"{concurrency:>5}  {label:<14} {r['n']:>8} {r['median']:>10.1f} {r['p95']:>8.1f} {r['rps']:>8.1f} "
                  f"{share:>7.0%}  {len(r['failures'])}")
            for failure in r["failures"][:3]:
                print(f"         {failure}")
            if label != "bare endpoint" and concurrency == 50:
                ok = ok and r["p95"] < 100 and share >= 0.25
    print(f"\ngoal at 50 users (p95 < 100 ms and >= 25% of the bare endpoint's req/s): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
