"""Export (auditor and owner): a period form, then the evidence pack as a zip download.

The pack is written by the ``audit export`` workflow (so the download is
recorded in the ledger as ``audit.exported`` by the signed-in auditor) into a
temporary directory and zipped; the dashboard adds nothing to it and leaves
nothing behind.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

from starlette.requests import Request
from starlette.responses import Response

from changegate.app import App
from changegate.errors import ChangegateError, InputError
from changegate.web.auth import caller_of
from changegate.web.render import page
from changegate.web.state import state_of


def pack_writer_available() -> bool:
    try:
        from changegate.workflows import export  # noqa: F401
    except ImportError:
        return False
    return True


def _write_pack(app: App, date_from: str, date_to: str, out: Path) -> None:
    """``audit export`` itself: the pack, and its ``audit.exported`` record with the downloader."""
    from changegate.workflows.export import export

    export(app, date_from, date_to, out)


def zip_dir(root: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
    return buf.getvalue()


def export_form(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    q = request.query_params
    return page(
        request,
        "export.html",
        status_code,
        title="Export",
        error=error,
        date_from=q.get("from", ""),
        date_to=q.get("to", ""),
        available=pack_writer_available(),
    )


def export_download(request: Request) -> Response:
    from changegate.evidence.period import parse_period

    q = request.query_params
    date_from, date_to = q.get("from", "").strip(), q.get("to", "").strip()
    if not date_from or not date_to:
        return export_form(request, "give both dates of the period (YYYY-MM-DD)", 400)
    try:
        parse_period(date_from, date_to)
    except InputError as exc:
        return export_form(request, exc.message, 400)
    if not pack_writer_available():
        return export_form(request, "the evidence pack writer is not installed yet", 503)
    st = state_of(request)
    with tempfile.TemporaryDirectory(prefix="changegate-export-") as tmp:
        out = Path(tmp) / "evidence"
        try:
            _write_pack(st.acting(caller_of(request).identity.user), date_from, date_to, out)
        except ChangegateError as exc:
            return export_form(request, exc.message, 400)
        data = zip_dir(out)
    name = f"changegate-evidence-{date_from}-to-{date_to}.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
