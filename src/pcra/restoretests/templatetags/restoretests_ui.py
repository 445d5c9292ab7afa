"""Template tags of the restore-test pages, and of the restore-test section that the backups
asset page shows under each restic or Borg copy."""

from __future__ import annotations

from django import template

from pcra.backups.models import BackupCopy

register = template.Library()


@register.simple_tag
def copy_restore_tests(copy: BackupCopy, *, runs: int = 5) -> dict:
    """The definitions of ``copy`` and its newest runs (the copy was read through a scoped
    selector: its tests follow it). Two queries."""
    from pcra.restoretests.views.common import RunView, level_short

    definitions = list(copy.restore_tests.select_related("agent", "referent").order_by("name"))
    for definition in definitions:
        definition.level_short = level_short(definition.level)
    newest = (copy.restore_runs.select_related("definition", "agent", "signoff")
              .order_by("-requested_at", "-pk")[:runs])
    return {"definitions": definitions, "runs": [RunView(r) for r in newest]}


@register.filter
def seconds(value) -> str:
    """A duration in seconds, readable: "42 s", "3 min 20 s", "2 h 05 min"."""
    from pcra.restoretests.views.common import seconds_text

    return seconds_text(value)
