"""``hmis duplicates find``: candidate duplicate client pairs, for review, as CSV."""
from __future__ import annotations

import csv
import time
from pathlib import Path

import click
from flask.cli import with_appcontext

__all__ = ["duplicates_group", "load_client_records", "write_candidates"]

CSV_HEADER = ("PersonalIDA", "DataSourceA", "PersonalIDB", "DataSourceB", "Score", "Reasons")


def load_client_records():
    """Every non-deleted client of every data source, as PersonRecords, in one query."""
    from sqlalchemy import select

    from ..extensions import db
    from ..models import Client, DataSource
    from .normalize import PersonRecord

    from ..access.sensitive import reveal_many

    query = (
        select(Client.id, Client.personal_id, Client.first_name, Client.middle_name, Client.last_name,
               Client.name_suffix, Client.ssn, Client.ssn_data_quality, Client.dob, Client.dob_data_quality,
               Client.sex, Client.name_data_quality, DataSource.key)
        .join(DataSource, DataSource.id == Client.data_source_id)
        .where(Client.date_deleted.is_(None))
        .order_by(Client.data_source_id, Client.personal_id)
    )
    rows = db.session.execute(query).all()
    # client.ssn is only the masked form: matching needs the numbers (one-digit typos,
    # transpositions), decrypted here in memory for this run and never written anywhere.
    ssns = reveal_many(db.session.connection(), [row[0] for row in rows if row.ssn])
    return [PersonRecord(*row[1:6], ssns.get(row[0], row.ssn), *row[7:]) for row in rows]


def write_candidates(candidates, out: Path) -> int:
    rows = sorted(candidates, key=lambda c: (-c.score, c.a.source or "", c.a.id, c.b.source or "", c.b.id))
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_HEADER)
        for c in rows:
            writer.writerow((c.a.id, c.a.source, c.b.id, c.b.source, f"{c.score:g}", "; ".join(c.reasons)))
    return len(rows)


@click.group("duplicates")
def duplicates_group() -> None:
    """Client de-duplication: find records that may be the same person."""


@duplicates_group.command("find")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV file to write the candidate pairs to (best first).")
@click.option("--threshold", type=float, default=None, help="Lowest score kept (default: admin/matching.yaml).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Matching settings file (default: $HMIS_MATCHING_CONFIG or admin/matching.yaml).")
@click.option("--store", is_flag=True, help="Also replace the open pairs of the browser's review queue.")
@with_appcontext
def find_command(out: Path, threshold: float | None, config_path: Path | None, store: bool) -> None:
    """Score likely duplicate clients across all data sources and write them to --out.

    Pairs already decided (not a duplicate, linked, merged) are left out."""
    from .config import MatchingConfigError, load_config
    from .matching import MatchStats, find_candidates

    try:
        config = load_config(config_path).with_threshold(threshold)
    except MatchingConfigError as exc:
        raise click.ClickException(str(exc)) from None
    began = time.perf_counter()
    records = load_client_records()
    loaded = time.perf_counter() - began
    stats = MatchStats()
    from ..access import audit
    from ..extensions import db
    from .review import client_id_map, proposable, store_candidates

    found = dict(proposable(find_candidates(records, config, stats), client_id_map()))
    written = write_candidates(found.values(), out)
    if store:
        stored = store_candidates(found)
        audit.record("duplicates.find", details={"clients": len(records), "pairs": stored, "out": str(out)})
        db.session.commit()
    took = time.perf_counter() - began
    skipped = stats.blocking.skipped_blocks
    linked = f", {stats.linked:,} of them linked through a third record" if stats.linked else ""
    click.echo(f"{len(records):,} clients, {stats.comparisons:,} comparisons, {written:,} candidate pairs "
               f"(score >= {config.threshold:g}{linked}) written to {out} in {took:.1f} s (loading {loaded:.1f} s)"
               + (f"; {skipped:,} oversized blocks skipped" if skipped else "")
               + ("; the review queue was updated" if store else ""))
