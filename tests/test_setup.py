"""First start on the embedded default: schema, demo data and a demo sign-in, once."""
from sqlalchemy import func, select

from hmis.access.accounts import authenticate
from hmis.extensions import db
from hmis.models import Account, Client, ImportRun
from hmis.setup import DEMO_EMAIL, prepare


def test_first_start_loads_demo_data_once(app_factory, monkeypatch):
    monkeypatch.setattr("hmis.setup.DEMO_CLIENTS", 120)  # keep the test quick
    app = app_factory("sqlite")
    with app.app_context():
        password = prepare(demo=True)
        assert password and authenticate(DEMO_EMAIL, password) is not None
        clients = db.session.scalar(select(func.count()).select_from(Client))
        assert clients == 120
        run = db.session.scalar(select(ImportRun))
        assert (run.status, run.warning_count, run.error_count) == ("imported", 0, 0)

        # A second start finds everything in place and changes nothing.
        assert prepare(demo=True) is None
        assert db.session.scalar(select(func.count()).select_from(Client)) == clients
        assert db.session.scalar(select(func.count()).select_from(Account)) == 1


def test_without_demo_only_the_schema_is_made(app_factory):
    app = app_factory("sqlite")
    with app.app_context():
        assert prepare(demo=False) is None
        assert db.session.scalar(select(func.count()).select_from(Client)) == 0
