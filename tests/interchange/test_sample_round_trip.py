"""HUD's public FY2026 sample: import, re-import, export, compare file by file."""
import csv
import io
import zipfile

import pytest
from sqlalchemy import func, select

from hmis.extensions import db
from hmis.interchange.exporter import export_csv
from hmis.interchange.importer import import_export
from hmis.models import HUD_MODELS


def read_zip(path):
    """{file name: (header, rows)} with the sample's own files as they are."""
    files = {}
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            files[name] = (rows[0], rows[1:])
    return files


@pytest.fixture(scope="module")
def sample_files(hud_sample):
    return read_zip(hud_sample)


@pytest.mark.slow
def test_import_then_export_gives_back_every_row(app, hud_sample, sample_files, tmp_path):
    result = import_export(hud_sample)
    assert result.status == "imported", [i.message for i in result.log.issues if i.severity == "error"][:5]
    assert result.version == "2026"

    # Every row of every file was stored, none rejected.
    for name, (header, rows) in sample_files.items():
        stem = name[:-4]
        if stem == "Export":
            continue
        stored = db.session.scalar(select(func.count()).select_from(HUD_MODELS[stem]))
        assert stored == len(rows), stem
        assert result.files[stem].rejected == 0

    # The sample's deliberate mistakes are flagged, not dropped.
    rules = {(file, rule) for (_, file, rule, _), n in result.log.counts.items()}
    assert ("Exit.csv", "invalid_code") in rules

    exported = read_zip(export_csv(tmp_path / "out.zip").path)
    assert set(exported) == set(sample_files)
    for name, (header, rows) in sample_files.items():
        if name == "Export.csv":
            continue  # export metadata is ours
        out_header, out_rows = exported[name]
        assert [h.lower() for h in out_header] == [h.lower() for h in header], name
        skip = header.index("ExportID")  # each row names the export it travels in

        def normal(table, skip=skip):
            return sorted(tuple(v for i, v in enumerate(row) if i != skip) for row in table)

        assert normal(out_rows) == normal(rows), name
        assert {row[skip] for row in out_rows} <= {exported["Export.csv"][1][0][0]}


@pytest.mark.slow
def test_reimporting_the_same_export_changes_nothing(app, hud_sample):
    import_export(hud_sample)
    again = import_export(hud_sample)
    assert again.status == "imported"
    for name, counts in again.files.items():
        if name == "Export":
            continue
        assert counts.inserted == 0 and counts.updated == 0, name
        assert counts.unchanged == counts.rows, name
