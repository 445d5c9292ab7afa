"""``pcra agent``: run restore tests for pcra from a backup zone (docs/agent.md).

A thin door onto :mod:`pcra.restoretests.agent`, which needs neither the database nor Django
(``python -m pcra.restoretests.agent`` takes the same options)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand

from pcra.restoretests import agent


class Command(BaseCommand):
    help = ("Run pcra's restore tests from a backup zone: poll the server over HTTPS with the "
            "agent token, run the tests assigned to this agent in a local sandbox, report "
            "progress and results. Opens no listening port. Exit codes: 0 ok, 1 --once and "
            "the test did not pass, 2 token refused, 3 configuration or connection problem.")
    requires_system_checks: list = []  # no database on an agent's machine

    def add_arguments(self, parser):
        agent.add_arguments(parser)

    def handle(self, *args, **options):
        code = agent.run_from_options(options)
        if code:
            sys.exit(code)
