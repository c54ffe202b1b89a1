"""The reference brand portal (portal/, built into portal/dist by `make portal`) at / beside the
API: its files, index.html for every client-side route, and the demo users for its sign-in.

Only GET and HEAD outside the API's paths (API_PATHS, API_PREFIXES) come here; everything else
goes to the API.
"""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from server.db.session import Database
from server.security.auth import Claims, mint
from server.services import demo
from server.settings import Settings

PORTAL_DIST = Path(__file__).resolve().parents[1] / "portal" / "dist"
API_PATHS = frozenset({"/graphql", "/healthz", "/readyz", "/metrics"})
API_PREFIXES = ("/exports/",)  # downloads (complaintdesk/exports.py)
NOT_BUILT = "The portal is not built: run `make portal` (needs Node 20+ and npm), then reload."


class Portal:
    def __init__(self, api: ASGIApp, database: Database, settings: Settings, dist: Path) -> None:
        self.api = api
        self.database = database
        self.settings = settings
        self.dist = dist
        self.files = StaticFiles(directory=dist, check_dir=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] in API_PATHS
            or scope["path"].startswith(API_PREFIXES)
            or scope["method"] not in ("GET", "HEAD")
        ):
            await self.api(scope, receive, send)
            return
        response = await self._page(scope)
        await response(scope, receive, send)

    async def _page(self, scope: Scope) -> Response:
        if scope["path"] == "/demo-users.json":
            return await self._demo_users()
        index = self.dist / "index.html"
        if not index.is_file():
            return PlainTextResponse(NOT_BUILT, status_code=503)
        try:
            return await self.files.get_response(self.files.get_path(scope), scope)
        except HTTPException as missing:
            # A path with a suffix names a file, which is missing; any other is a client-side
            # route of the single-page app, which index.html renders.
            if missing.status_code != 404 or Path(scope["path"]).suffix:
                return PlainTextResponse(missing.detail, status_code=missing.status_code)
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    async def _demo_users(self) -> Response:
        """One demo user per role with a fresh token, for the sign-in picker; 404 unless the demo
        tenant is loaded (a real deployment signs in through its identity provider)."""
        try:
            loaded = await demo.demo_users(self.database)
        except LookupError:
            return JSONResponse({"error": "no demo tenant on this server"}, status_code=404)
        return JSONResponse(
            [
                {
                    "username": user.username,
                    "displayName": user.display_name,
                    "role": user.role,
                    "token": mint(
                        self.settings, Claims(str(user.user_id), loaded.tenant_id, False)
                    ),
                }
                for user in loaded.users
            ],
            headers={"Cache-Control": "no-store"},
        )
