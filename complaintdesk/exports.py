"""Downloads: GET /exports/orders.xlsx?filter=…, /exports/analysis.xlsx?period=…&orgUnitId=… and
/exports/reports/<id>.xlsx, with the bearer token GraphQL takes (the links come from
`orderExport`, `ComplaintAnalysis.exportUrl` and `CadenceReport.analysis.exportUrl`). The
workbook is written to a temporary file in constant memory, then streamed to the client in
chunks and removed (frontend-contract/README.md, "Downloads"). Bad input answers JSON: 400 with
the refused fields, 404 for what the caller cannot see; nothing is written then."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from schema.ids import key
from schema.queries import order_filter
from schema.reports import filter_from_token
from server.domain.errors import InvalidInputError, NotFoundError
from server.services import exports
from server.services.caller import Caller

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def download(request: Request) -> Response:
    handle, raw = tempfile.mkstemp(prefix="complaintdesk-export-", suffix=".xlsx")
    os.close(handle)
    path = Path(raw)
    name = request.path_params["name"]
    try:
        found = await _write(request, name, path)
    except InvalidInputError as refused:
        fields = [{"path": list(p.path), "message": p.message} for p in refused.problems]
        answer = {"error": "VALIDATION", "message": str(refused), "fields": fields}
        found = JSONResponse(answer, 400)
    except NotFoundError as missing:
        found = JSONResponse({"error": "NOT_FOUND", "message": str(missing)}, 404)
    except BaseException:
        _remove(path)
        raise
    if found is not None:
        _remove(path)
        return found
    filename = name.replace("/", "-")
    return FileResponse(
        path, media_type=XLSX, filename=filename, background=BackgroundTask(_remove, path)
    )


async def _write(request: Request, name: str, path: Path) -> Response | None:
    """Writes the export `name` to `path`; an answer instead when there is no such export."""
    caller: Caller = request.state.caller
    if name == "orders.xlsx":
        where = order_filter(filter_from_token(request.query_params.get("filter", "")))
        await exports.export_orders(caller, where, path)
    elif name == "analysis.xlsx":
        period, unit = request.query_params.get("period", ""), request.query_params.get("orgUnitId")
        await exports.export_analysis(caller, period, key("OrgUnit", unit) if unit else None, path)
    elif name.startswith("reports/") and name.endswith(".xlsx"):
        report = key("CadenceReport", name.removeprefix("reports/").removesuffix(".xlsx"))
        await exports.export_report(caller, report, path)
    else:
        return JSONResponse({"error": "NOT_FOUND", "message": f"no export {name}"}, 404)
    return None


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
