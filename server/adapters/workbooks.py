"""Excel workbooks written with xlsxwriter in constant-memory mode: each row goes to a temporary
file as it is written, so memory stays flat however many rows an export holds. Chosen by
measurement over openpyxl's write-only mode: 14-column order rows at 14,000-16,000 rows per
CPU-second against 9,500 (openpyxl 3.1.5 without lxml), and it also draws the analysis
workbook's charts (bench/README.md, reports). The data rows' XML is written here, as the library
writes it, at 64,000 rows per CPU-second (Sheet.write). Strings are written as they are
(no formula, URL or number guessing): an order's summary starting with '=' stays text."""

from __future__ import annotations

import os
import re
import shutil
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import datetime_to_excel_datetime, xl_col_to_name
from xlsxwriter.xmlwriter import XMLwriter

OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
DATE_TIME = "yyyy-mm-dd hh:mm"
COPY_CHUNK = 1 << 20


class _FastZip(zipfile.ZipFile):
    """The workbook's zip, deflated at level 1: xlsxwriter takes zlib's default (6), which spent
    a quarter of an export's CPU in its close, serially after the last row; level 1 deflates sheet
    XML about 3.5 times faster for a file about a quarter larger (bench/README.md, reports)."""

    def __init__(self, file: str, mode: str, *, compression: int, allowZip64: bool) -> None:
        super().__init__(file, "w", compression=compression, allowZip64=allowZip64, compresslevel=1)
        assert mode == "w"  # as xlsxwriter opens it


# xlsxwriter 3.2.0 (pinned) opens the zip by this module-level name in Workbook._store_workbook
# and has no option for the level.
xlsxwriter.workbook.ZipFile = _FastZip


class _Worksheet(xlsxwriter.worksheet.Worksheet):  # type: ignore[misc]
    """At close, the rows' temporary file is copied into the sheet's XML as bytes: xlsxwriter
    copies it as text, decoding and encoding every byte again (0.7 s of 200,000 order rows)."""

    def _write_optimized_sheet_data(self) -> None:
        if self.dim_rowmin is None:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.fh.flush()
        self.row_data_fh.flush()
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, self.fh.buffer, COPY_CHUNK)
        self.row_data_fh.close()
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")


@dataclass(frozen=True)
class Column:
    header: str
    width: int
    instant: bool = False  # a local date and time, shown as DATE_TIME


class Workbook:
    """One workbook on `path`; sheets are written top to bottom, one after the other."""

    def __init__(self, path: Path):
        self.book = xlsxwriter.Workbook(str(path), OPTIONS)
        self.bold = self.book.add_format({"bold": True})
        self.when = self.book.add_format({"num_format": DATE_TIME})

    def sheet(self, title: str, columns: Sequence[Column]) -> Sheet:
        worksheet = self.book.add_worksheet(title, worksheet_class=_Worksheet)
        for i, column in enumerate(columns):
            worksheet.set_column(i, i, column.width, self.when if column.instant else None)
        worksheet.write_row(0, 0, [c.header for c in columns], self.bold)
        worksheet.freeze_panes(1, 0)
        return Sheet(self, worksheet)

    def column_chart(
        self, sheet: Sheet, *, title: str, rows: int, at: str, kind: str = "column"
    ) -> None:
        """A chart of the sheet's first two columns (labels, values) over `rows` data rows."""
        chart = self.book.add_chart({"type": kind})
        name = sheet.worksheet.get_name()
        chart.add_series(
            {
                "name": title,
                "categories": [name, 1, 0, rows, 0],
                "values": [name, 1, 1, rows, 1],
            }
        )
        chart.set_title({"name": title})
        chart.set_legend({"none": True})
        sheet.worksheet.insert_chart(at, chart)

    def line_chart(self, sheet: Sheet, *, title: str, rows: int, series: int, at: str) -> None:
        """A line per value column (1..series) of the sheet, over its first column's labels."""
        chart = self.book.add_chart({"type": "line"})
        name = sheet.worksheet.get_name()
        for column in range(1, series + 1):
            chart.add_series(
                {
                    "name": [name, 0, column],
                    "categories": [name, 1, 0, rows, 0],
                    "values": [name, 1, column, rows, column],
                }
            )
        chart.set_title({"name": title})
        sheet.worksheet.insert_chart(at, chart)

    def close(self) -> None:
        self.book.close()


class Sheet:
    def __init__(self, workbook: Workbook, worksheet: Any):
        self.workbook = workbook
        self.worksheet = worksheet
        self.rows = 0

    def write(self, rows: Iterable[Sequence[Any]]) -> int:
        """Appends the rows (None and "" leave a cell empty); returns how many.

        Each row's XML goes straight into the sheet's constant-memory row file, as xlsxwriter
        3.2.0 writes it (inline strings, the column's format on every cell), without the
        library's per-cell calls: those capped the export near 11,000 rows per CPU-second
        (bench/README.md, reports). Strings are always text, never a formula or rich string."""
        sheet = self.worksheet
        columns: list[tuple[str, str]] = []
        last = self.rows
        width = 0
        lines: list[str] = []
        for values in rows:
            if last + 1 >= ROW_LIMIT:
                break  # as xlsxwriter: rows past Excel's last are not written
            if last == self.rows:
                # The row xlsxwriter still holds (the header) goes first.
                sheet._write_single_row(last + 1)
            last += 1
            if len(values) > len(columns):
                columns = _cell_openings(sheet, len(values))
            width = max(width, len(values))
            lines.append(_row_xml(last, values, columns))
            if len(lines) == FLUSH:
                sheet.fh.write("".join(lines))
                lines.clear()
        if last == self.rows:
            return 0
        sheet.fh.write("".join(lines))
        sheet._check_dimensions(last, width - 1)
        sheet.previous_row = last
        written, self.rows = last - self.rows, last
        return written


FLUSH = 500  # rows joined per write to the row file
EPOCH = datetime(1899, 12, 31)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]|_x[0-9a-fA-F]{4}_")
STRING_MAX = 32_767  # Excel's longest cell text
ROW_LIMIT = 1_048_576  # Excel's rows per sheet


def _cell_openings(sheet: Any, width: int) -> list[tuple[str, str]]:
    """Per column, its letters and the style attribute of its format (as xlsxwriter gives every
    cell without a format of its own)."""
    out = []
    for col in range(width):
        info = sheet.col_info.get(col)
        style = info[1] if info is not None else None
        out.append((xl_col_to_name(col), f' s="{style._get_xf_index()}"' if style else ""))
    return out


def _row_xml(row: int, values: Sequence[Any], columns: Sequence[tuple[str, str]]) -> str:
    # The export's innermost loop: strings and naive instants first, text inlined.
    r = row + 1
    cells = [f'<row r="{r}">']
    add = cells.append
    for (letters, style), value in zip(columns, values, strict=False):
        kind = type(value)
        if kind is str:
            if not value:
                continue
            if len(value) > STRING_MAX:
                value = value[:STRING_MAX]
            if CONTROL.search(value):
                value = XMLwriter._escape_control_characters(value)
            keep = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
            if "&" in value or "<" in value or ">" in value:
                value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            add(f'<c r="{letters}{r}"{style} t="inlineStr"><is><t{keep}>{value}</t></is></c>')
        elif value is None:
            continue
        elif kind is datetime and value.tzinfo is None:
            add(f'<c r="{letters}{r}"{style}><v>{_serial(value):.16G}</v></c>')
        elif kind is bool:
            add(f'<c r="{letters}{r}"{style} t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, (int, float, Decimal, Fraction)):
            add(f'<c r="{letters}{r}"{style}><v>{float(value):.16G}</v></c>')
        elif isinstance(value, (datetime, date, time, timedelta)):
            serial = datetime_to_excel_datetime(value, False, False)
            add(f'<c r="{letters}{r}"{style}><v>{serial:.16G}</v></c>')
        else:
            raise TypeError(f"no cell for {kind.__name__}")
    add("</row>")
    return "".join(cells)


def _serial(at: datetime) -> float:
    """xlsxwriter's serial day of a naive instant (its datetime_to_excel_datetime), inline."""
    delta = at - EPOCH
    serial = delta.days + (float(delta.seconds) + float(delta.microseconds) / 1e6) / 86_400
    if serial < 2 and at.isocalendar() == (1900, 1, 1):
        serial -= 1
    return serial + 1 if serial > 59 else serial
