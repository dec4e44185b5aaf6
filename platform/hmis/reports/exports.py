"""Write a run's results: xlsx (HUD's table shells), CSV, HUD's CSV upload zip, JSON.

Results are the plain data :mod:`hmis.reports.engine` stores (tables of labelled rows
and columns), so every format is a layout of the same numbers. HUD's upload format
(reports.md §3): one CSV per table named after it, row 1 the column headers with ``""``
in A1, one labelled row per table row, every text quoted, blank cells for section
headers and grayed cells, percentages as fractions, all at the top of one zip.
"""
from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

__all__ = ["FORMATS", "to_csv_zip", "to_hud_zip", "to_json", "to_xlsx", "write"]

FORMATS = {"xlsx": ".xlsx", "csv-zip": ".zip", "hud-zip": ".zip", "json": ".json"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(text: str) -> str:
    """Labels come from definitions an HMIS lead edits: never let one run as a spreadsheet formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _table_csv(table: dict[str, Any], *, quote_all: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC if quote_all else csv.QUOTE_MINIMAL, lineterminator="\r\n")
    # a per-project table (APR Q4a) has no label column: its first column heads the row labels
    writer.writerow([_safe_text(table.get("row_header", "")), *[_safe_text(label) for label in table["columns"]]])
    for row in table["rows"]:
        writer.writerow([_safe_text(row["label"]), *[_cell(value) for value in row["cells"]]])
    return out.getvalue()


def to_hud_zip(results: dict[str, Any]) -> bytes:
    """HUD's APR/CAPER upload: ``Q4a.csv``, ``Q5a.csv``, ... zipped, every text quoted."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in results["tables"]:
            archive.writestr(f"{table['id']}.csv", _table_csv(table, quote_all=True))
    return buffer.getvalue()


def to_csv_zip(results: dict[str, Any], parameters: dict[str, Any] | None = None) -> bytes:
    """One CSV per table plus ``parameters.csv``: for spreadsheets and other tools."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if parameters is not None:
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(["parameter", "value"])
            for key, value in parameters.items():
                writer.writerow([key, ", ".join(map(str, value)) if isinstance(value, list) else value])
            archive.writestr("parameters.csv", out.getvalue())
        for table in results["tables"]:
            archive.writestr(f"{table['id']}.csv", _table_csv(table, quote_all=False))
    return buffer.getvalue()


def to_json(results: dict[str, Any], parameters: dict[str, Any], meta: dict[str, Any]) -> bytes:
    return json.dumps({**meta, "parameters": parameters, **results}, indent=2, default=str).encode("utf-8")


def to_xlsx(results: dict[str, Any], parameters: dict[str, Any], meta: dict[str, Any]) -> bytes:
    """A cover sheet with the parameters, then one sheet per table laid out like HUD's shell."""
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    header = workbook.add_format({"bold": True, "bg_color": "#DDE4EE", "border": 1, "text_wrap": True})
    label = workbook.add_format({"border": 1})
    section = workbook.add_format({"bold": True, "border": 1, "bg_color": "#F2F2F2"})
    number = workbook.add_format({"border": 1})
    percent = workbook.add_format({"border": 1, "num_format": "0.00%"})
    blank = workbook.add_format({"border": 1, "bg_color": "#BFBFBF"})

    cover = workbook.add_worksheet("Parameters")
    cover.set_column(0, 0, 24)
    cover.set_column(1, 1, 60)
    cover.write(0, 0, _safe_text(str(meta.get("title", "Report"))), bold)
    row_number = 2
    for key, value in {**{k: v for k, v in meta.items() if k != "title"}, **parameters}.items():
        cover.write_string(row_number, 0, str(key))
        text = ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))
        cover.write_string(row_number, 1, _safe_text(text))
        row_number += 1

    used: set[str] = set()
    for table in results["tables"]:
        name = _sheet_name(table["id"], used)
        sheet = workbook.add_worksheet(name)
        sheet.set_column(0, 0, 48)
        sheet.set_column(1, len(table["columns"]), 16)
        sheet.write_string(0, 0, _safe_text(table.get("row_header", "")), header)
        for c, column_label in enumerate(table["columns"], start=1):
            sheet.write_string(0, c, _safe_text(column_label), header)
        for r, row in enumerate(table["rows"], start=1):
            sheet.write_string(r, 0, _safe_text(row["label"]), section if row.get("header") else label)
            percents = row.get("percent") or [False] * len(row["cells"])
            for c, value in enumerate(row["cells"], start=1):
                if value is None:
                    sheet.write_blank(r, c, None, blank if not row.get("header") else section)
                elif isinstance(value, str):  # a project field of a per-project table
                    sheet.write_string(r, c, _safe_text(value), label)
                elif percents[c - 1]:
                    sheet.write_number(r, c, value, percent)
                else:
                    sheet.write_number(r, c, value, number)
        sheet.write_string(len(table["rows"]) + 2, 0, _safe_text(table["title"]), bold)
    workbook.close()
    return buffer.getvalue()


def _sheet_name(table_id: str, used: set[str]) -> str:
    base = "".join(ch for ch in table_id if ch not in "[]:*?/\\")[:31] or "Table"
    name, n = base, 2
    while name.lower() in used:
        name = f"{base[:28]}-{n}"
        n += 1
    used.add(name.lower())
    return name


def write(format_name: str, results: dict[str, Any], parameters: dict[str, Any], meta: dict[str, Any]) -> bytes:
    """The bytes of ``results`` in one of :data:`FORMATS`."""
    if format_name == "xlsx":
        return to_xlsx(results, parameters, meta)
    if format_name == "csv-zip":
        return to_csv_zip(results, parameters)
    if format_name == "hud-zip":
        return to_hud_zip(results)
    if format_name == "json":
        return to_json(results, parameters, meta)
    raise ValueError(f"unknown format {format_name!r}; use one of {', '.join(FORMATS)}")
