"""What the restore-test pages share: objects found in the user's scope (outside it: 404; read
but not write: 403 on writes), and the figures written for people (durations, sizes,
throughput, the phase of a running test, the state of its functional validation)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pcra.accounts.access import access_for
from pcra.backups.models import BackupCopy
from pcra.backups.selectors import copies_visible_to
from pcra.restoretests import selectors
from pcra.restoretests.models import (
    Level,
    RestoreTestDefinition,
    RestoreTestRun,
    RunState,
    Signoff,
)

# --- Objects in scope -------------------------------------------------------------------------


def get_run(request: HttpRequest, uuid) -> RestoreTestRun:
    return get_object_or_404(
        selectors.runs_visible_to(user=request.user).select_related(
            "copy__data_asset__node__top", "definition__referent", "signoff__referent"),
        uuid=uuid)


def get_definition(request: HttpRequest, uuid) -> RestoreTestDefinition:
    return get_object_or_404(
        selectors.definitions_visible_to(user=request.user).select_related(
            "copy__data_asset__node__organization", "copy__data_asset__node__top",
            "agent__organization"),
        uuid=uuid)


def get_copy(request: HttpRequest, uuid) -> BackupCopy:
    return get_object_or_404(copies_visible_to(user=request.user), uuid=uuid)


def can_write_copy(user, copy: BackupCopy) -> bool:
    node = copy.data_asset.node
    return access_for(user).can_write(node.organization_id, top_id=node.top_id)


def require_write(user, copy: BackupCopy) -> None:
    if not can_write_copy(user, copy):
        raise PermissionDenied


def copy_anchor(copy: BackupCopy) -> str:
    url = reverse("backups:asset_detail", kwargs={"uuid": copy.data_asset.uuid})
    return f"{url}#copy-{copy.uuid}"


def run_url(run: RestoreTestRun) -> str:
    return reverse("restoretests:run_detail", kwargs={"uuid": run.uuid})


def definition_url(definition: RestoreTestDefinition) -> str:
    return reverse("restoretests:definition_detail", kwargs={"uuid": definition.uuid})


# --- Figures for people -----------------------------------------------------------------------


def seconds_text(seconds: float | None) -> str:
    """A duration readable at a glance: "0,4 s", "42 s", "3 min 20 s", "2 h 05 min",
    "3 d 4 h"; empty when unknown."""
    if seconds is None:
        return ""
    seconds = max(0.0, float(seconds))
    if seconds < 10:
        from pcra.core.crud import format_number

        return _("%(n)s s") % {"n": format_number(round(seconds, 1))}
    total = round(seconds)
    if total < 60:
        return _("%(n)s s") % {"n": total}
    minutes, secs = divmod(total, 60)
    if minutes < 10:
        return _("%(m)s min %(s)02d s") % {"m": minutes, "s": secs}
    if minutes < 60:
        return _("%(n)s min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)s d %(h)s h") % {"d": days, "h": hours}


def size_text(value: int | None) -> str:
    return "" if value is None else str(filesizeformat(value))


def throughput_text(value: float | None) -> str:
    return "" if value is None else _("%(size)s/s") % {"size": filesizeformat(value)}


PHASES = {
    "": gettext_lazy("Waiting"),
    "check": gettext_lazy("Checking the repository"),
    "listing": gettext_lazy("Listing the snapshot"),
    "space": gettext_lazy("Checking the free space"),
    "restoring": gettext_lazy("Restoring"),
    "verifying": gettext_lazy("Verifying the files"),
    "probe": gettext_lazy("Application probe"),
    "cleanup": gettext_lazy("Removing the sandbox"),
}

STEPS = {
    "check": gettext_lazy("Repository check"),
    "listing": gettext_lazy("Snapshot listing"),
    "list": gettext_lazy("Snapshot listing"),
    "space": gettext_lazy("Free space"),
    "restore": gettext_lazy("Restore"),
    "restoring": gettext_lazy("Restore"),
    "verify": gettext_lazy("Verification of the files"),
    "verifying": gettext_lazy("Verification of the files"),
    "probe": gettext_lazy("Application probe"),
    "cleanup": gettext_lazy("Sandbox removal"),
}


def phase_label(phase: str) -> str:
    return str(PHASES.get(phase, phase))


def step_label(name: str) -> str:
    return str(STEPS.get(name, name))


def level_short(level: int) -> str:
    return _("Level %(n)s") % {"n": level}


SIGNOFF_NONE = "none"
SIGNOFF_WAITING = "waiting"


def signoff_of(run: RestoreTestRun) -> Signoff | None:
    try:
        return run.signoff
    except Signoff.DoesNotExist:
        return None


def signoff_state(run: RestoreTestRun) -> str:
    """``validated`` / ``refused`` once signed, ``waiting`` when a passed restore waits for its
    referent, else ``none`` (no functional validation asked)."""
    signoff = signoff_of(run)
    if signoff is not None:
        return signoff.decision
    definition = run.definition
    if (definition is not None and definition.functional_signoff
            and run.status == RunState.PASSED and run.level >= Level.RESTORE):
        return SIGNOFF_WAITING
    return SIGNOFF_NONE


def signoff_label(state: str) -> str:
    return {"validated": _("Validated"), "refused": _("Refused"),
            SIGNOFF_WAITING: _("Awaiting validation")}.get(state, "")


class RunView:
    """A run as the pages show it."""

    def __init__(self, run: RestoreTestRun):
        self.run = run

    def __getattr__(self, name):
        return getattr(self.run, name)

    @property
    def url(self) -> str:
        return run_url(self.run)

    @property
    def level_short(self) -> str:
        return level_short(self.run.level)

    @property
    def executor(self) -> str:
        return (_("agent %(name)s") % {"name": self.run.agent.name} if self.run.agent_id
                else _("pcra worker"))

    @property
    def duration(self) -> str:
        return seconds_text(self.run.duration_seconds)

    @property
    def restore_duration(self) -> str:
        return seconds_text(self.run.restore_seconds)

    @property
    def extrapolated(self) -> str:
        """Only a passed restore measures how long a full restore takes."""
        if self.run.status != RunState.PASSED:
            return ""
        return seconds_text(self.run.extrapolated_full_seconds)

    @property
    def bytes(self) -> str:
        return size_text(self.run.bytes_restored) if self.run.bytes_restored else ""

    @property
    def snapshot_size(self) -> str:
        return size_text(self.run.snapshot_bytes)

    @property
    def throughput_text(self) -> str:
        return throughput_text(self.run.throughput)

    @property
    def phase_label(self) -> str:
        return phase_label(self.run.phase)

    @property
    def percent(self) -> int | None:
        return percent_of(overall_fraction(self.run))

    @property
    def progress_text(self) -> str:
        return progress_text(self.run)

    @property
    def note(self) -> str:
        return run_note(self.run)

    @property
    def signoff_state(self) -> str:
        return signoff_state(self.run)

    @property
    def signoff_label(self) -> str:
        return signoff_label(self.signoff_state)

    @property
    def is_sample(self) -> bool:
        return self.run.scope == "sample"

    @property
    def sample_text(self) -> str:
        p = self.run.parameters or {}
        if p.get("sample_files"):
            return _("%(n)s files") % {"n": p["sample_files"]}
        if p.get("sample_percent"):
            from pcra.core.crud import format_number

            return _("%(n)s %% of the files") % {"n": format_number(p["sample_percent"])}
        return ""


def run_note(run: RestoreTestRun) -> str:
    """Where a run stands, in one sentence (under its progress bar)."""
    from django.utils import timezone
    from django.utils.formats import date_format

    if run.status == RunState.QUEUED:
        if run.agent_id:
            return _("Waiting for the agent %(name)s to pick it up.") % {"name": run.agent.name}
        return _("Waiting for the pcra worker.")
    if run.status == RunState.RUNNING and run.started_at:
        when = date_format(timezone.localtime(run.started_at), "SHORT_DATETIME_FORMAT")
        if run.agent_id:
            return _("Started %(when)s by the agent %(name)s.") % {"when": when,
                                                                 "name": run.agent.name}
        return _("Started %(when)s by the pcra worker.") % {"when": when}
    return ""


def overall_fraction(run: RestoreTestRun) -> float | None:
    """How far the whole test is, 0..1 (None: not known yet, the bar is indeterminate): each
    phase has its share of the bar (the runner's weights), so the bar never moves back when
    the verification starts after the restore."""
    from pcra.restoretests.runner import Progress

    if run.is_finished:
        return 1.0
    if run.status != RunState.RUNNING or not run.phase:
        return None
    return Progress(run.phase, run.bytes_done, run.bytes_total, run.files_done,
                    run.files_total).fraction


def percent_of(fraction: float | None) -> int | None:
    return None if fraction is None else int(fraction * 100)


def progress_text(run: RestoreTestRun) -> str:
    parts = []
    if run.bytes_total:
        parts.append(_("%(done)s of %(total)s") % {"done": filesizeformat(run.bytes_done),
                                                   "total": filesizeformat(run.bytes_total)})
    elif run.bytes_done:
        parts.append(str(filesizeformat(run.bytes_done)))
    if run.files_total:
        parts.append(_("%(done)s of %(total)s files") % {"done": run.files_done,
                                                         "total": run.files_total})
    elif run.files_done:
        parts.append(_("%(done)s files") % {"done": run.files_done})
    return " · ".join(parts)
