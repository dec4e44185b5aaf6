"""Repeated sign-in failures lock the account, with a back-off, and reveal nothing."""
from datetime import timedelta

from hmis.access.accounts import FAILURES_BEFORE_LOCK, authenticate, create_account, lock_duration
from hmis.extensions import db
from hmis.models.core import utcnow

EMAIL, PASSWORD = "ana@example.org", "correct horse battery"


def test_back_off_doubles_up_to_an_hour():
    assert [lock_duration(n) for n in (4, 5, 6, 7)] == [None, timedelta(minutes=1), timedelta(minutes=2),
                                                        timedelta(minutes=4)]
    assert lock_duration(40) == timedelta(hours=1)


def test_lock_refuses_even_the_right_password_until_it_ends(app):
    create_account(EMAIL, "Ana", PASSWORD)
    db.session.commit()
    now = utcnow()
    for _ in range(FAILURES_BEFORE_LOCK):
        assert authenticate(EMAIL, "wrong guess", now=now) is None
    assert authenticate(EMAIL, PASSWORD, now=now + timedelta(seconds=30)) is None  # locked
    account = authenticate(EMAIL, PASSWORD, now=now + timedelta(minutes=2))  # the lock has ended
    assert account is not None and account.failed_sign_ins == 0 and account.locked_until_dt is None


def test_locked_sign_in_page_says_nothing_different(client, make_account):
    make_account(email=EMAIL, password=PASSWORD)
    for _ in range(FAILURES_BEFORE_LOCK):
        client.post("/sign-in", data={"email": EMAIL, "password": "wrong guess"})
    response = client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD})
    assert response.status_code == 401
    assert "Email or password is not right." in response.get_data(as_text=True)
