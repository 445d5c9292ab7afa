"""Background jobs of the restore-tests app (django-tasks, run by ``pcra worker``): thin, they
take ids and call the services (CONVENTIONS 9)."""

from __future__ import annotations

from django_tasks import task

from pcra.restoretests import services
from pcra.restoretests.models import RestoreTestRun


@task()
def run_restore_test_task(run_id: int) -> str:
    run = (RestoreTestRun.objects.select_related("copy__data_asset__node").filter(pk=run_id)
           .first())
    if run is None:
        return "gone"
    return services.execute_run(run).status
