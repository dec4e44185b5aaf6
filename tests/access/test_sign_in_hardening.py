"""Sign-in hardening: two-factor codes, rate limits, idle timeout, cookies, password policy."""
from __future__ import annotations

import time
from datetime import datetime, timedelta

import pyotp
import pytest
from sqlalchemy import select

from hmis.access import ratelimit
from hmis.access.accounts import AccountError, create_account
from hmis.access.passwords import problems
from hmis.extensions import db
from hmis.models import AuditEvent
from hmis.models.core import utcnow

PASSWORD = "correct horse battery"


def _sign_in(client, email, password=PASSWORD):
    return client.post("/sign-in", data={"email": email, "password": password})


@pytest.fixture
def two_factor_app(backend, app_factory):
    created = app_factory(backend, SKIP_TWO_FACTOR=False)
    with created.app_context():
        yield created


def _secret_from(page: str) -> str:
    start = page.index('id="totp-secret">') + len('id="totp-secret">')
    return page[start:page.index("<", start)]


def test_two_factor_roles_enrol_then_give_a_code(two_factor_app):
    create_account("lead@example.org", "Lee", PASSWORD, role="hmis_lead")
    db.session.commit()
    client = two_factor_app.test_client()
    response = _sign_in(client, "lead@example.org")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in/two-factor")
    assert client.get("/").status_code == 302  # not signed in yet: the password alone is not enough
    page = client.get("/sign-in/two-factor").get_data(as_text=True)
    secret = _secret_from(page)
    assert "otpauth://totp/" in page
    assert client.post("/sign-in/two-factor", data={"code": "000000"}).status_code == 401
    code = pyotp.TOTP(secret).now()
    assert client.post("/sign-in/two-factor", data={"code": code}).status_code == 302
    assert client.get("/").status_code == 200
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-2:] == ["sign_in_failed", "sign_in"]

    # Next time: the code is asked for, and the same code cannot be used twice.
    client.post("/sign-out")
    other = two_factor_app.test_client()
    _sign_in(other, "lead@example.org")
    assert "totp-secret" not in other.get("/sign-in/two-factor").get_data(as_text=True)
    assert other.post("/sign-in/two-factor", data={"code": code}).status_code == 401  # replayed
    later = pyotp.TOTP(secret).at(datetime.now() + timedelta(seconds=30))
    assert other.post("/sign-in/two-factor", data={"code": later}).status_code == 302


def test_the_secret_is_stored_encrypted(two_factor_app):
    from hmis.models.privacy import TwoFactor

    create_account("lead@example.org", "Lee", PASSWORD, role="hmis_lead")
    db.session.commit()
    client = two_factor_app.test_client()
    _sign_in(client, "lead@example.org")
    secret = _secret_from(client.get("/sign-in/two-factor").get_data(as_text=True))
    stored = db.session.scalar(select(TwoFactor.secret_encrypted))
    assert secret not in stored and stored.startswith("gAAAAA")  # a Fernet token


def test_roles_without_the_requirement_sign_in_with_a_password(two_factor_app):
    create_account("cm@example.org", "Cam", PASSWORD, role="case_manager")
    db.session.commit()
    client = two_factor_app.test_client()
    assert _sign_in(client, "cm@example.org").headers["Location"].endswith("/")


def test_code_page_without_a_password_step_goes_back_to_sign_in(two_factor_app):
    response = two_factor_app.test_client().get("/sign-in/two-factor")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_skip_two_factor_is_refused_in_production(tmp_path):
    from hmis.config import SettingsError, load_settings

    with pytest.raises(SettingsError, match="SKIP_TWO_FACTOR"):
        load_settings(environ={"HMIS_PRODUCTION": "1", "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///x",
                               "HMIS_ENCRYPTION_KEY": "A" * 43 + "=", "HMIS_SKIP_TWO_FACTOR": "1",
                               "HMIS_INSTANCE_PATH": str(tmp_path)})


def test_production_needs_an_encryption_key(tmp_path):
    from hmis.config import SettingsError, load_settings

    with pytest.raises(SettingsError, match="ENCRYPTION_KEY"):
        load_settings(environ={"HMIS_PRODUCTION": "1", "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///x",
                               "HMIS_INSTANCE_PATH": str(tmp_path)})
    with pytest.raises(SettingsError, match="Fernet key"):
        load_settings(environ={"HMIS_ENCRYPTION_KEY": "short", "HMIS_INSTANCE_PATH": str(tmp_path)})


def test_sign_in_is_rate_limited_per_email_even_with_the_right_password(backend, app_factory):
    # A window far longer than the test (and than a day, which the clean-up must respect), so the attempts
    # never straddle a window's end: fixed windows start afresh there, and a slow run crossing one could fail.
    app = app_factory(backend, SIGN_IN_LIMIT_PER_EMAIL=3, SIGN_IN_LIMIT_PER_IP=100, SIGN_IN_LIMIT_WINDOW_SECONDS=10**6)
    with app.app_context():
        create_account("ana@example.org", "Ana", PASSWORD)
        db.session.commit()
        # Two "web processes": two clients of the same database share the counter.
        first, second = app.test_client(), app.test_client()
        assert _sign_in(first, "ana@example.org", "wrong one").status_code == 401
        assert _sign_in(second, "ana@example.org", "wrong two").status_code == 401
        assert _sign_in(first, "ANA@example.org", "wrong three").status_code == 401
        response = _sign_in(second, "ana@example.org")
        assert response.status_code == 429 and "Too many sign-in attempts" in response.get_data(as_text=True)
        assert _sign_in(first, "other@example.org", "x").status_code == 401  # another email is not limited
        assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "sign_in_failed"


def test_sign_in_is_rate_limited_per_ip(backend, app_factory):
    app = app_factory(backend, SIGN_IN_LIMIT_PER_EMAIL=100, SIGN_IN_LIMIT_PER_IP=2, SIGN_IN_LIMIT_WINDOW_SECONDS=10**6)
    with app.app_context():
        client = app.test_client()
        assert _sign_in(client, "a@example.org", "x").status_code == 401
        assert _sign_in(client, "b@example.org", "x").status_code == 401
        assert _sign_in(client, "c@example.org", "x").status_code == 429
        other_ip = client.post("/sign-in", data={"email": "d@example.org", "password": "x"},
                               environ_base={"REMOTE_ADDR": "10.0.0.9"})
        assert other_ip.status_code == 401


def test_a_window_longer_than_a_day_keeps_its_count(app):
    now = utcnow().replace(microsecond=0)
    week = 7 * 24 * 3600
    start = ratelimit.window_start(now, week)
    later = start + timedelta(days=3)  # the window began more than KEEP (a day) ago and has not ended
    assert [ratelimit.hit("w", 2, week, now=t) for t in (start, later, later)] == [True, True, False]
    db.session.commit()


def test_rate_limit_windows_roll_over(app):
    now = utcnow().replace(microsecond=0)
    start = ratelimit.window_start(now, 60)
    assert [ratelimit.hit("k", 2, 60, now=start) for _ in range(3)] == [True, True, False]
    assert ratelimit.hit("k", 2, 60, now=start + timedelta(seconds=61))
    db.session.commit()


def test_idle_session_ends(client, make_account):
    make_account(email="ana@example.org")
    _sign_in(client, "ana@example.org")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    assert client.get("/").status_code == 302  # the session is gone, not just this request
    event = db.session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert event.action == "sign_out" and event.details["reason"] == "idle"


def test_session_cookie_is_http_only_and_same_site(client, make_account):
    make_account(email="ana@example.org")
    cookie = _sign_in(client, "ana@example.org").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_setting(app_factory):
    app = app_factory("sqlite", SECURE_COOKIES=True)
    with app.app_context():
        create_account("ana@example.org", "Ana", PASSWORD)
        db.session.commit()
        cookie = _sign_in(app.test_client(), "ana@example.org").headers["Set-Cookie"]
        assert "Secure" in cookie


@pytest.mark.parametrize("password, fragment", [
    ("short", "at least 10"),
    ("password123", "too common"),
    ("aaaaaaaaaaaa", "different characters"),
    ("ana.lopez-2024!", "name or email"),
    ("x" * 300, "at most"),
])
def test_password_policy_refuses(password, fragment):
    assert any(fragment in p for p in problems(password, email="ana.lopez@example.org", name="Ana Lopez"))


def test_password_policy_accepts_a_passphrase(sqlite_app):
    assert problems("correct horse battery", email="ana@example.org") == []
    with pytest.raises(AccountError, match="too common"):
        create_account("ana@example.org", "Ana", "Password123")
