"""Alembic environment: always given a connection by ``hmis.db.upgrade``."""
from alembic import context

from hmis.extensions import db
import hmis.models  # noqa: F401 - register tables for autogenerate

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only via ``hmis db`` commands
    raise RuntimeError("run migrations through `hmis db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=db.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
