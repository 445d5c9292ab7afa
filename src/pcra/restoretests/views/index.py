"""The restore tests page: a summary, the recent runs (filtered, live search, paginated) and the
definitions with their next run and last result. A fixed number of queries whatever the number
of rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from pcra.accounts.access import access_for
from pcra.backups.selectors import data_assets_visible_to
from pcra.core.crud import is_htmx, paginate, render_list
from pcra.organizations.selectors import organizations_visible_to
from pcra.restoretests import selectors
from pcra.restoretests.forms import RunFilterForm
from pcra.restoretests.models import Level, RestoreTestRun, RunState
from pcra.restoretests.views.agents import administered
from pcra.restoretests.views.common import RunView, level_short, phase_label


@dataclass
class Summary:
    passed: int
    failed: int
    active: int
    waiting: int
    window_days: int


def _summary(runs) -> Summary:
    days = settings.PCRA_BACKUP_RESTORE_TEST_WINDOW_DAYS
    since = timezone.now() - dt.timedelta(days=days)
    recent = Q(requested_at__gte=since)
    counts = runs.order_by().aggregate(
        passed=Count("pk", filter=recent & Q(status=RunState.PASSED)),
        failed=Count("pk", filter=recent & Q(status=RunState.FAILED)),
        active=Count("pk", filter=Q(status__in=(RunState.QUEUED, RunState.RUNNING))),
        waiting=Count("pk", filter=Q(status=RunState.PASSED, level__gte=Level.RESTORE,
                                     definition__functional_signoff=True,
                                     signoff__isnull=True)))
    return Summary(window_days=days, **counts)


class DefinitionRow:
    def __init__(self, definition):
        self.d = definition

    @property
    def level_short(self) -> str:
        return level_short(self.d.level)

    @property
    def last_status_label(self) -> str:
        return str(RunState(self.d.last_status).label) if self.d.last_status else ""

    @property
    def last_phase(self) -> str:
        return phase_label(self.d.last_phase or "")


def definitions_with_last_run(queryset):
    last = RestoreTestRun.objects.filter(definition=OuterRef("pk")).order_by("-requested_at",
                                                                              "-pk")
    return queryset.annotate(
        last_status=Subquery(last.values("status")[:1]),
        last_at=Subquery(last.values("requested_at")[:1]),
        last_uuid=Subquery(last.values("uuid")[:1]),
        last_phase=Subquery(last.values("phase")[:1]))


@login_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    organizations = list(organizations_visible_to(user=user).exclude(root__isnull=True)
                         .order_by("code"))
    assets = list(data_assets_visible_to(user=user)
                  .filter(Q(copies__restore_runs__isnull=False)
                          | Q(copies__restore_tests__isnull=False))
                  .distinct().order_by("node__code"))
    filters = RunFilterForm(request.GET or None, organizations=organizations, assets=assets)
    visible = selectors.runs_visible_to(user=user)
    runs = (filters.filter_runs(visible)
            .select_related("signoff", "definition")
            .order_by("-requested_at", "-pk"))
    page = paginate(request, runs)
    page.object_list = [RunView(r) for r in page.object_list]
    definitions = definitions_with_last_run(
        filters.filter_definitions(selectors.definitions_visible_to(user=user))
        .select_related("copy__data_asset__node__organization")
        .order_by("copy__data_asset__node__code", "copy__name", "name"))
    context = {
        "filters": filters, "page": page, "rows": page.object_list,
        "definitions": [DefinitionRow(d) for d in definitions],
        "searching": bool(request.GET),
        "summary": None if is_htmx(request) else _summary(visible),
        "is_admin": bool(administered(user)),
        "can_create": access_for(user).can_write_anything,
    }
    return render_list(request, "restoretests/index.html", "restoretests/_index_results.html",
                       context)
