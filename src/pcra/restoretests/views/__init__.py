"""Pages of the restore-tests app (CaRE O4, the "0" of 3-2-1-1-0): the runs and definitions,
one run with its live progress and evidence, the definitions of a copy, the agents.

Every queryset comes from a selector scoped by the user: an object outside it is a 404; a user
who may read but not change it gets a 403 on writes; only the named business referent signs a
run off; only administrators manage agents.
"""

from pcra.restoretests.views.agents import agent_create, agent_list, agent_revoke
from pcra.restoretests.views.definitions import (
    definition_create,
    definition_delete,
    definition_detail,
    definition_edit,
    definition_run,
)
from pcra.restoretests.views.index import index
from pcra.restoretests.views.runs import (
    copy_run,
    run_cancel,
    run_detail,
    run_evidence,
    run_progress,
    run_report,
    run_signoff,
)

__all__ = [
    "agent_create", "agent_list", "agent_revoke", "copy_run", "definition_create",
    "definition_delete", "definition_detail", "definition_edit", "definition_run", "index",
    "run_cancel", "run_detail", "run_evidence", "run_progress", "run_report", "run_signoff",
]
