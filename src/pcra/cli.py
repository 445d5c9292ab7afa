"""The `pcra` console script: a thin door onto Django's management commands.

`pcra import_workbook demo.xlsx` is `django-admin import_workbook demo.xlsx` with pcra's
settings; `pcra` alone lists the commands.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcra.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["pcra", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
