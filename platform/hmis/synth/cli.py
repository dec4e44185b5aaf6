"""``hmis synth``: write a synthetic FY2026 HMIS CSV export (and its ground truth)."""
from __future__ import annotations

from pathlib import Path

import click


@click.command("synth")
@click.option("--clients", type=click.IntRange(min=1), required=True, help="Client.csv rows to write.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The zip file to write.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed (same seed, same bytes).")
@click.option("--duplicates", type=click.FloatRange(0, 1, max_open=True), default=0.10, show_default=True,
              help="Share of client records that are duplicates of another record.")
@click.option("--truth", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Ground-truth CSV path (default: <out>.truth.csv).")
def synth_command(clients: int, out: Path, seed: int, duplicates: float, truth: Path | None) -> None:
    """Generate a deterministic synthetic HMIS CSV export zip."""
    from . import generate

    summary = generate(clients, out, seed=seed, duplicate_share=duplicates, truth=truth)
    for name, count in summary.rows.items():
        click.echo(f"{name + '.csv':<28}{count:>12,}")
    click.echo(f"{summary.clients:,} client records ({summary.persons:,} people, "
               f"{summary.duplicates:,} duplicates) -> {summary.out} in {summary.seconds:.1f} s")
    click.echo(f"truth: {summary.truth}")


if __name__ == "__main__":
    synth_command()
