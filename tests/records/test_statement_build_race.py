"""A statement a hot path builds once per process is built by one thread at a time.

gunicorn's threaded workers serve their first requests at once. Two threads building the
intake page's household statement from its shared alias at the same moment could leave a
broken statement cached for the worker's life (every intake then failed with "Can't
determine which FROM clause to join from"); ``hmis.db.built_once`` builds under a lock.
"""
from __future__ import annotations

import sys
import threading

from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased

from hmis.db import built_once
from hmis.models import Enrollment
from hmis.records import assessment_screen

ATTEMPTS = 30
THREADS = 8


def _broken_after_racing_first_builds(monkeypatch) -> int:
    """How many of ATTEMPTS cold starts (a new alias, an empty cache, THREADS threads
    building at once, as often switched as Python allows) left a statement that cannot compile."""
    broken = 0
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(ATTEMPTS):
            monkeypatch.setattr(assessment_screen, "_ASKED", aliased(Enrollment, name="asked"))
            assessment_screen._household_statement.cache_clear()
            barrier = threading.Barrier(THREADS)

            def build(barrier: threading.Barrier = barrier) -> None:
                barrier.wait()
                try:
                    assessment_screen._household_statement()
                except Exception:  # noqa: BLE001 - a thread losing the race may fail; the cached one must not
                    pass

            threads = [threading.Thread(target=build) for _ in range(THREADS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            try:
                str(assessment_screen._household_statement().compile(dialect=postgresql.dialect()))
            except Exception:  # noqa: BLE001 - what a worker's every request would then raise
                broken += 1
    finally:
        sys.setswitchinterval(interval)
        assessment_screen._household_statement.cache_clear()
    return broken


def test_the_household_statement_is_never_cached_broken_by_a_race(app, monkeypatch):
    assert _broken_after_racing_first_builds(monkeypatch) == 0


def test_built_once_builds_once_however_many_threads_ask():
    calls = []

    @built_once
    def build(kind: str) -> object:
        calls.append(kind)
        return object()

    barrier = threading.Barrier(THREADS)
    results = []

    def ask() -> None:
        barrier.wait()
        results.append(build("a"))

    threads = [threading.Thread(target=ask) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls == ["a"] and len({id(result) for result in results}) == 1
