"""Workbook import and export: the doors the command line and the web views share.

``workbook_import`` reads, checks and (unless ``dry_run``) applies a workbook in one
transaction; ``workbook_export`` and ``workbook_template`` write files. Uploaded files wait
for confirmation under ``DATA_DIR/uploads`` with a random token as name (``upload_*``).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils.translation import gettext as _

from pcra.organizations.models import Organization
from pcra.workbook import exporter
from pcra.workbook.handlers.base import ExportScope
from pcra.workbook.importer import ImportContext, ImportReport, Issue, run_import
from pcra.workbook.reader import WorkbookError, read_workbook


class ExportError(Exception):
    """The export cannot be made as asked; ``str()`` says why."""


def _tops_for(user) -> list[Organization]:
    if user is None:
        return list(Organization.objects.filter(parent__isnull=True))
    from pcra.organizations.selectors import tops_visible_to

    return list(tops_visible_to(user=user))


def workbook_import(*, path: Path | str, ght_code: str | None = None, user=None,
                    dry_run: bool = False, display_name: str | None = None) -> ImportReport:
    """Import the workbook at ``path`` (an .xlsx, a folder or .zip of CSV files, a .csv).

    ``user`` None imports with every right (command line); else each changed row needs the
    user's write role. Any error: nothing is written and the report lists every error.
    """
    from pcra.accounts.access import access_for

    name = display_name or Path(path).name
    try:
        workbook = read_workbook(path, display_name=display_name)
    except WorkbookError as exc:
        return ImportReport(source=name, dry_run=dry_run,
                            issues=[Issue("error", name, None, None, str(exc))])
    ctx = ImportContext(access=access_for(user) if user is not None else None,
                        ght_code=(ght_code or "").strip() or None,
                        fallback_tops=_tops_for(user))
    if dry_run:
        return run_import(workbook=workbook, ctx=ctx, apply=False)
    try:
        with transaction.atomic():
            return run_import(workbook=workbook, ctx=ctx, apply=True)
    except (IntegrityError, DatabaseError) as exc:  # a concurrent change: nothing was written
        return ImportReport(source=name, dry_run=False, issues=[Issue(
            "error", name, None, None,
            _("The database refused the import, nothing was changed: %(error)s")
            % {"error": exc})])


def resolve_ght(*, ght_code: str | None, user=None) -> Organization:
    """The GHT to export: the one named, or the only one the user (or the database) has."""
    tops = _tops_for(user)
    if ght_code:
        for top in tops:
            if top.code == ght_code:
                return top
        raise ExportError(_("No top organization (GHT) has the code %(code)s.")
                          % {"code": ght_code})
    if len(tops) == 1:
        return tops[0]
    if not tops:
        raise ExportError(_("There is no GHT to export."))
    raise ExportError(_("Several GHTs exist (%(codes)s): choose one.")
                      % {"codes": ", ".join(sorted(t.code for t in tops))})


def workbook_export(*, path: Path | str, ght_code: str | None = None, user=None,
                    csv: bool | None = None) -> Path:
    """Write the GHT's workbook to ``path``: XLSX when it ends in .xlsx (and ``csv`` is not
    set), else a folder of CSV files."""
    path = Path(path)
    ght = resolve_ght(ght_code=ght_code, user=user)
    scope = ExportScope(ght=ght, user=user)
    if csv is None:
        csv = path.suffix.lower() != ".xlsx"
    if csv:
        if path.exists() and not path.is_dir():
            raise ExportError(_("%(path)s exists and is not a folder.") % {"path": str(path)})
        return exporter.write_csv_folder(path, scope)
    return exporter.write_xlsx(path, scope)


def workbook_export_bytes(*, ght: Organization, user) -> bytes:
    return exporter.xlsx_bytes(ExportScope(ght=ght, user=user))


def workbook_template(*, path: Path | str | None = None) -> bytes:
    """The empty workbook (headers, help sheet, drop-down lists); written to ``path`` if
    given."""
    data = exporter.xlsx_bytes(None)
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return data


# -- uploads waiting for confirmation -------------------------------------------------------
UPLOAD_SUFFIXES = (".xlsx", ".zip", ".csv")
UPLOAD_MAX_AGE_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


class UploadNotFound(Exception):
    pass


def upload_dir() -> Path:
    path = Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_store(*, user, uploaded, ght_code: str | None = None) -> str:
    """Keep an uploaded file until the user confirms; returns its token."""
    uploads_sweep()
    name = PurePosixPath(uploaded.name or "workbook").name
    suffix = PurePosixPath(name).suffix.lower()
    token = secrets.token_urlsafe(24)
    folder = upload_dir()
    with open(folder / f"{token}{suffix}", "wb") as out:
        for chunk in uploaded.chunks():
            out.write(chunk)
    meta = {"user_id": user.pk, "name": name, "suffix": suffix, "ght": ght_code or "",
            "created": time.time()}
    (folder / f"{token}.json").write_text(json.dumps(meta))
    return token


def upload_get(*, user, token: str) -> tuple[Path, dict]:
    """The stored file and its metadata, for its owner only."""
    if not _TOKEN.match(token or ""):
        raise UploadNotFound(token)
    folder = upload_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text())
    except (OSError, ValueError) as exc:
        raise UploadNotFound(token) from exc
    path = folder / f"{token}{meta.get('suffix', '')}"
    if meta.get("user_id") != user.pk or not path.exists():
        raise UploadNotFound(token)
    return path, meta


def upload_discard(*, token: str) -> None:
    if not _TOKEN.match(token or ""):
        return
    for path in upload_dir().glob(f"{token}*"):
        path.unlink(missing_ok=True)


def uploads_sweep(*, max_age: float = UPLOAD_MAX_AGE_SECONDS) -> int:
    """Remove uploads older than ``max_age`` seconds; returns how many files went."""
    limit = time.time() - max_age
    removed = 0
    for path in upload_dir().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:  # pragma: no cover - removed by a concurrent sweep
            continue
    return removed
