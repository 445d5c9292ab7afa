from __future__ import annotations

import pcra as _pcra


def pcra(request):  # noqa: F811 - name used in settings
    return {"pcra_version": _pcra.__version__}
