"""Background jobs of the recovery app (django-tasks, run by ``pcra worker``): thin, they take
ids and call the services (CONVENTIONS 9)."""

from __future__ import annotations

from django_tasks import task

from pcra.recovery import services
from pcra.recovery.models import RecoveryPlan


@task()
def compute_plan_task(plan_id: int) -> str:
    plan = RecoveryPlan.objects.select_related("scenario").filter(pk=plan_id).first()
    if plan is None:
        return "gone"
    return services.plan_compute(plan).state
