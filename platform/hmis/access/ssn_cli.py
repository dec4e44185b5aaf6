"""``hmis ssn``: keep the encrypted SSNs in step with the keys.

* ``hmis ssn rotate``: after setting a new ``HMIS_ENCRYPTION_KEY`` and listing the old
  one in ``HMIS_RETIRED_ENCRYPTION_KEYS``, re-encrypt (and re-hash) every SSN made with
  an old key, a batch per transaction, so it can be stopped and run again; then remove
  the retired key.
* ``hmis ssn seal``: encrypt SSNs something wrote straight into ``client.ssn`` (the
  importer does this itself; this is for data loaded by other means).
"""
from __future__ import annotations

import time

import click
from flask.cli import with_appcontext


@click.group("ssn")
def ssn_group() -> None:
    """Encrypted SSNs: key rotation and sealing."""


@ssn_group.command("rotate")
@click.option("--batch", "batch_size", type=click.IntRange(min=1), default=5000, show_default=True,
              help="SSNs re-encrypted per transaction.")
@with_appcontext
def rotate_command(batch_size: int) -> None:
    """Re-encrypt every SSN not made with the current HMIS_ENCRYPTION_KEY."""
    from ..extensions import db
    from . import crypto, sensitive

    began = time.perf_counter()
    total = 0
    while True:
        with db.engine.begin() as connection:  # one batch per transaction: progress survives a stop
            done = sensitive.rotate(connection, batch_size=batch_size, limit=batch_size)
        total += done
        if done < batch_size:
            break
        click.echo(f"{total} re-encrypted…")
    click.echo(f"{total} SSNs re-encrypted with key {crypto.key_id()} in {time.perf_counter() - began:.1f}s; "
               "the retired keys can now be removed from HMIS_RETIRED_ENCRYPTION_KEYS.")


@ssn_group.command("seal")
@with_appcontext
def seal_command() -> None:
    """Encrypt SSNs written straight into client.ssn, leaving the masked form there."""
    from ..extensions import db
    from . import sensitive

    with db.engine.begin() as connection:
        count = sensitive.seal_plaintext_ssns(connection)
    click.echo(f"{count} SSNs sealed.")
