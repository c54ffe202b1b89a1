"""The workbook adapter writes each row's XML itself: the sheet it produces must be byte for byte
the one xlsxwriter's own write_row gives for the same values (no database)."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import xlsxwriter

from server.adapters import workbooks
from server.adapters.workbooks import OPTIONS, Column, Workbook

COLUMNS = [Column("编号", 10), Column("时间", 17, instant=True), Column("值", 8)]
ROWS = [
    ("WO-1", datetime(2026, 10, 3, 23, 30), 3),
    ("投诉 & <售后>", datetime(2026, 3, 1, 0, 0, 0, 500_000), 2.5),
    (" leading and trailing ", None, None),
    ("", datetime(1900, 1, 1, 12), Decimal("0.125")),
    ("=SUM(A1:A2)", datetime(1900, 2, 28, 6), True),
    ("bell\x07 and _x0041_", date(2026, 12, 5), -7),
    ("line\nbreak", datetime(1899, 12, 31), 1e-20),
    (None, None, 12345678901234567),
]


def sheet_xml(path) -> bytes:
    with zipfile.ZipFile(path) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def by_xlsxwriter(path) -> None:
    book = xlsxwriter.Workbook(str(path), OPTIONS)
    bold, when = (
        book.add_format({"bold": True}),
        book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
    )
    sheet = book.add_worksheet("工单")
    for i, column in enumerate(COLUMNS):
        sheet.set_column(i, i, column.width, when if column.instant else None)
    sheet.write_row(0, 0, [c.header for c in COLUMNS], bold)
    sheet.freeze_panes(1, 0)
    for i, values in enumerate(ROWS, start=1):
        sheet.write_row(i, 0, values)
    book.close()


def test_rows_written_in_batches_are_the_sheet_xlsxwriter_writes(tmp_path):
    by_xlsxwriter(tmp_path / "library.xlsx")
    book = Workbook(tmp_path / "direct.xlsx")
    sheet = book.sheet("工单", COLUMNS)
    assert sheet.write(ROWS[:3]) == 3
    assert sheet.write([]) == 0
    assert sheet.write(iter(ROWS[3:])) == len(ROWS) - 3
    book.close()
    assert sheet.rows == len(ROWS)
    assert sheet_xml(tmp_path / "direct.xlsx") == sheet_xml(tmp_path / "library.xlsx")


def test_a_sheet_with_no_rows_is_the_header_alone(tmp_path):
    book = Workbook(tmp_path / "empty.xlsx")
    sheet = book.sheet("工单", COLUMNS)
    assert sheet.write([]) == 0
    book.close()
    xml = sheet_xml(tmp_path / "empty.xlsx")
    assert b'<dimension ref="A1:C1"/>' in xml
    assert xml.count(b"<row ") == 1


def test_text_that_looks_like_an_array_formula_or_rich_text_stays_text(tmp_path):
    book = Workbook(tmp_path / "text.xlsx")
    sheet = book.sheet("工单", COLUMNS)
    sheet.write([("{=A1}", None, None), ("<r><t>x</t></r>", None, None)])
    book.close()
    opened = openpyxl.load_workbook(tmp_path / "text.xlsx", read_only=True)
    texts = [r[0] for r in opened.worksheets[0].iter_rows(min_row=2, values_only=True)]
    opened.close()
    assert texts == ["{=A1}", "<r><t>x</t></r>"]


def test_rows_past_the_sheets_last_are_not_written_nor_counted(tmp_path, monkeypatch):
    monkeypatch.setattr(workbooks, "ROW_LIMIT", 3)
    book = Workbook(tmp_path / "full.xlsx")
    sheet = book.sheet("工单", COLUMNS)
    assert sheet.write(ROWS) == 2
    assert sheet.write(ROWS) == 0
    book.close()
    xml = sheet_xml(tmp_path / "full.xlsx")
    assert b'<dimension ref="A1:C3"/>' in xml
    assert xml.count(b"<row ") == 3
