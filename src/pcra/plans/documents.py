"""The documents of the continuity plans: a plan as DOCX (python-docx), an organization's
crisis binder as one print-ready PDF (WeasyPrint), and the offline crisis kit.

The offline kit (``write_kit``) is what the teams open when the IS is down: one
self-contained HTML file (styles and a small search script inside, no request to anything,
no server: it opens from a USB stick in any browser), the binder's PDF, and a ``MANIFEST`` of
SHA-256 checksums (``sha256sum -c MANIFEST`` checks it). With a passphrase, those files go into
one encrypted 7z archive instead (``7zz``: AES-256, file names encrypted too), and only the
archive and its own checksum are written (the clear files are built in a private temporary
folder of this machine, never on the destination). The kit is moved into place at the end: a
failure (a full disk, a refused passphrase) leaves nothing behind and records nothing.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

import pcra
from pcra.organizations.models import Organization
from pcra.plans import selectors, services
from pcra.plans.models import PlanScenario, StepPhase
from pcra.plans.tree import tree_order

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: The archiver for encrypted kits (Debian's ``7zip`` package).
SEVEN_ZIP = "7zz"
#: Seconds 7-Zip may take to write, then to test, the archive.
SEVEN_ZIP_TIMEOUT = 600
#: Shortest passphrase accepted for an encrypted kit.
MIN_PASSPHRASE = 12


class KitError(Exception):
    """The kit could not be written; the message says why and where."""


# --- DOCX -------------------------------------------------------------------------------------


def _t(value) -> str:
    """Text a DOCX can hold (no control characters)."""
    return services.clean_text(str(value or ""))


def plan_docx_bytes(content: dict, *, status: str) -> bytes:
    """A plan version as an editable DOCX: its identity, then each part in the order of the
    page, the steps as tables (when, who, does what, where, how), the contacts."""
    from docx import Document
    from docx.shared import Pt

    from pcra.plans.templatetags.plans_ui import kind_label, status_label

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(10)
    doc.core_properties.title = _t(content["title"])
    doc.core_properties.subject = _("Continuity plan (PCRA)")
    doc.core_properties.keywords = f"pcra {content['code']} v{content['version']}"
    doc.add_heading(_t(content["title"]), level=0)
    scenarios = dict(PlanScenario.choices)
    identity = [
        (_("Code"), content["code"]),
        (_("Version"), f"{content['version']} – {status_label(status)}"),
        (_("Organization"), (content["organization"] or {}).get("name", "")),
        (_("Activities"), "\n".join(f"{a['code']} – {a['name']} ({kind_label(a['kind'])})"
                                    for a in content["activities"])),
        (_("Establishments where it applies"), "\n".join(
            f"{o['code']} – {o['name']}" for o in content["establishments"])),
        (_("Scenarios covered"), "\n".join(str(scenarios.get(s, s))
                                           for s in content["scenarios"])),
        (_("Plan manager"), content["manager"]),
        (_("Next review"), content["review_due"] or ""),
    ]
    if content.get("approved_at"):
        identity.append((_("Approved"), f"{content['approved_at'][:10]} – "
                                        f"{content.get('approved_by', '')}"))
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in identity:
        row = table.add_row().cells
        row[0].text = _t(label)
        row[1].text = _t(value)
    parts = [
        (_("Triggering criteria"), content["trigger_criteria"], None),
        (_("Who triggers and decides"), content["trigger_authority"], None),
        (_("Degraded mode"), "", StepPhase.DEGRADED),
        (_("Resources to have ready"), content["resources"], None),
        (_("Communication"), content["communication"], None),
        (_("Return to normal"), content["return_to_normal"], StepPhase.RETURN),
    ]
    for heading, text, phase in parts:
        doc.add_heading(str(heading), level=1)
        for paragraph in _t(text).splitlines():
            if paragraph.strip():
                doc.add_paragraph(paragraph)
        if phase is not None:
            steps = [s for s in content["steps"] if s["phase"] == phase]
            if steps:
                _steps_table(doc, steps)
            elif not text:
                doc.add_paragraph(_("None yet."))
    doc.add_heading(_("Contacts"), level=1)
    if content["contacts"]:
        grid = doc.add_table(rows=1, cols=4)
        grid.style = "Table Grid"
        for cell, label in zip(grid.rows[0].cells, (_("Name"), _("Role"), _("Phones"),
                                                     _("E-mail")), strict=True):
            cell.text = str(label)
        for c in content["contacts"]:
            row = grid.add_row().cells
            row[0].text = _t(c["name"])
            row[1].text = _t(" – ".join(x for x in (c["function"], c["crisis_role"]) if x))
            row[2].text = _t("\n".join(x for x in (c["phone"], c["mobile"], c["backup_phone"])
                                       if x))
            row[3].text = _t("\n".join(x for x in (c["email"], c["backup_email"]) if x))
    else:
        doc.add_paragraph(_("None yet."))
    if content.get("change_summary"):
        doc.add_heading(_("Changes in this version"), level=1)
        doc.add_paragraph(_t(content["change_summary"]))
    footer = doc.sections[0].footer.paragraphs[0]
    footer.text = _t(f"PCRA {content['code']} – v{content['version']} – "
                     f"{status_label(status)} – pcra {pcra.__version__}")
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _steps_table(doc, steps: list[dict]) -> None:
    grid = doc.add_table(rows=1, cols=6)
    grid.style = "Table Grid"
    for cell, label in zip(grid.rows[0].cells, ("#", _("When"), _("Who"), _("Does what"),
                                                 _("Where"), _("How")), strict=True):
        cell.text = str(label)
    for number, step in enumerate(steps, start=1):
        row = grid.add_row().cells
        for cell, value in zip(row, (str(number), step["when"], step["who"], step["action"],
                                     step["where"], step["how"]), strict=True):
            cell.text = _t(value)


# --- PDF and HTML -----------------------------------------------------------------------------


def css_string(text: str) -> str:
    """``text`` as the inside of a CSS string in a <style> element: backslash, quotes, line
    breaks and ``<`` escaped the CSS way (HTML escaping does not apply there)."""
    out = []
    for char in str(text):
        if char in '\\"\'<>&' or ord(char) < 32:
            out.append(f"\\{ord(char):x} ")
        else:
            out.append(char)
    return "".join(out)


def _context(binder: selectors.Binder) -> dict:
    from django.utils.formats import date_format
    from django.utils.safestring import mark_safe

    printed_at = timezone.localtime()
    title = _("Crisis binder %(code)s") % {"code": binder.organization["code"]}
    footer = _("Version %(version)s · printed on %(date)s") % {
        "version": binder.content_hash[:12],
        "date": date_format(printed_at, "SHORT_DATETIME_FORMAT")}
    return {"binder": binder, "printed_at": printed_at,
            "pcra_version": pcra.__version__,
            # Safe: escaped for CSS strings above (no quote, backslash or "<" left).
            "page_title_css": mark_safe(css_string(title)),
            "page_footer_css": mark_safe(css_string(footer)),
            "cell": [c for c in binder.contacts if c["crisis_role"]],
            "tree": _tree(binder.contacts)}


def _tree(contacts: list[dict]) -> list[tuple[int, dict]]:
    return tree_order(contacts, key=lambda c: c["id"], parent=lambda c: c["alerted_by"])


def binder_pdf_bytes(binder: selectors.Binder) -> bytes:
    """The crisis binder as one PDF: A4, a table of contents with page numbers, the version
    (content hash) and the print date on every page."""
    from weasyprint import HTML

    html = render_to_string("plans/binder_pdf.html", _context(binder))
    return HTML(string=html).write_pdf()


def kit_html(binder: selectors.Binder) -> str:
    """The binder as one self-contained HTML file (no request to anything)."""
    return render_to_string("plans/kit.html", _context(binder))


# --- The offline kit --------------------------------------------------------------------------


@dataclass
class KitResult:
    path: Path
    files: dict[str, str]
    content_hash: str
    encrypted: bool


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_passphrase(path: Path) -> str:
    """The first line of ``path`` (its newline removed), checked."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KitError(_("Cannot read the passphrase file %(path)s: %(error)s")
                       % {"path": path, "error": exc}) from exc
    lines = text.splitlines()
    passphrase = lines[0] if lines else ""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KitError(_("The passphrase in %(path)s is too short: at least %(n)d characters "
                         "on its first line.") % {"path": path, "n": MIN_PASSPHRASE})
    return passphrase


def _free_name(out_dir: Path, name: str, suffix: str = "") -> str:
    """``name`` (with ``suffix``), or ``name-2``, ``name-3``… when it is taken in out_dir."""
    candidate, number = name, 1
    while (out_dir / f"{candidate}{suffix}").exists() or (
            suffix and (out_dir / f"{candidate}{suffix}.sha256").exists()):
        number += 1
        candidate = f"{name}-{number}"
    return candidate


def write_kit(*, out_dir: Path, organization: Organization, passphrase: str | None = None,
              user=None, now=None) -> KitResult:
    """Write the offline kit of ``organization`` into ``out_dir`` and record it.

    Without a passphrase the files are built in a temporary folder inside ``out_dir`` and moved
    into place at the end. With one, the clear files never touch ``out_dir`` (a USB stick keeps
    deleted files): they are built in a private temporary folder of this machine (mode 700),
    and only the encrypted archive and its checksum are copied to ``out_dir``."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise KitError(_("%(path)s is not a folder.") % {"path": out_dir})
    now = timezone.localtime(now)
    binder = selectors.binder(organization=organization)
    stem = f"classeur-crise-{organization.code}"
    base = f"pcra-kit-{organization.code}-{now:%Y%m%d-%H%M%S}"
    try:
        if passphrase is None:
            name = _free_name(out_dir, base)
            work = Path(tempfile.mkdtemp(prefix=".pcra-kit-", dir=out_dir))
        else:
            name = _free_name(out_dir, base, ".7z")
            work = Path(tempfile.mkdtemp(prefix="pcra-kit-"))  # private (0700), off out_dir
    except OSError as exc:
        raise KitError(_("Cannot write in %(path)s: %(error)s")
                       % {"path": out_dir, "error": exc.strerror or exc}) from exc
    written: list[Path] = []
    try:
        folder = work / name
        folder.mkdir()
        (folder / f"{stem}.html").write_text(kit_html(binder), encoding="utf-8")
        (folder / f"{stem}.pdf").write_bytes(binder_pdf_bytes(binder))
        files = {p.name: sha256_file(p) for p in sorted(folder.iterdir())}
        (folder / "MANIFEST").write_text(
            "".join(f"{digest}  {file}\n" for file, digest in files.items()), encoding="utf-8")
        if passphrase is None:
            target = out_dir / name
            folder.rename(target)
            written.append(target)
        else:
            archive = work / f"{name}.7z"
            _encrypt(folder, archive, passphrase)
            digest = sha256_file(archive)
            target = out_dir / archive.name
            checksum = out_dir / f"{archive.name}.sha256"
            partial = out_dir / f".{archive.name}.part"
            written.append(partial)
            shutil.copyfile(archive, partial)
            with partial.open("rb+") as stream:
                os.fsync(stream.fileno())
            if sha256_file(partial) != digest:
                raise KitError(_("The copy of the kit in %(path)s differs from the archive: "
                                 "the medium may be faulty.") % {"path": out_dir})
            written.append(checksum)
            checksum.write_text(f"{digest}  {archive.name}\n", encoding="utf-8")
            partial.rename(target)
            written.append(target)
            files = {archive.name: digest}
    except OSError as exc:
        _remove(written)
        raise KitError(_("Cannot write the kit in %(path)s: %(error)s")
                       % {"path": out_dir, "error": exc.strerror or exc}) from exc
    except BaseException:
        _remove(written)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    services.kit_record(organization=organization, content_hash=binder.content_hash,
                        files=files, encrypted=passphrase is not None, location=str(target),
                        user=user)
    return KitResult(path=target, files=files, content_hash=binder.content_hash,
                     encrypted=passphrase is not None)


def _remove(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _encrypt(folder: Path, archive: Path, passphrase: str) -> None:
    """``folder`` as an encrypted 7z ``archive`` (headers encrypted), then tested with the
    same passphrase; the passphrase goes through standard input only."""
    if shutil.which(SEVEN_ZIP) is None:
        raise KitError(_("%(tool)s is not installed (Debian package 7zip): it writes the "
                         "encrypted kit.") % {"tool": SEVEN_ZIP})
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    secret = f"{passphrase}\n".encode()
    steps = [([SEVEN_ZIP, "a", "-t7z", "-mhe=on", "-mx=5", "-p", "-bso0", "-bsp0", "--",
               str(archive), folder.name], folder.parent),
             ([SEVEN_ZIP, "t", "-bso0", "-bsp0", "--", str(archive)], folder.parent)]
    for command, cwd in steps:
        try:
            done = subprocess.run(command, input=secret, cwd=cwd, env=env, capture_output=True,
                                  timeout=SEVEN_ZIP_TIMEOUT, check=False)
        except subprocess.TimeoutExpired as exc:
            raise KitError(_("7-Zip did not finish the encrypted kit within %(n)d s.")
                           % {"n": SEVEN_ZIP_TIMEOUT}) from exc
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).decode("utf-8", "replace").strip()
            raise KitError(_("7-Zip could not write the encrypted kit (%(tool)s %(verb)s, exit "
                             "%(code)d): %(detail)s") % {
                "tool": SEVEN_ZIP, "verb": command[1], "code": done.returncode,
                "detail": detail.splitlines()[-1] if detail else ""})
