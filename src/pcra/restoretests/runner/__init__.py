"""Restore tests in plain Python (no Django): restore one snapshot of a restic or Borg
repository into a throw-away sandbox, verify every restored file, optionally run an
application probe, and return a :class:`TestResult`.

Levels are cumulative:

1. the engine's integrity check of the repository structure and of the snapshot's metadata
   (restic ``check`` without ``--read-data``; borg ``check --archives-only`` of that archive),
   and the listing of the snapshot's files; no data restored;
2. + the restore into the sandbox and the verification of the content of EVERY restored file
   against what the snapshot recorded (restic: ``restore --verify`` plus pcra's comparison of
   the tree with ``restic ls --json``: every regular file present with its recorded size and
   restic's count of verified files; Borg: ``borg extract``, which checks every chunk's id
   (and MAC when encrypted) and every file's size as it restores, plus pcra's comparison of
   the tree with the listing (a file borg marks broken fails) and, since borg does not read
   back what it wrote, the SHA-256 of about 5 % of the files (every file of a sample) read
   back and compared with ``borg list --format {sha256}``);
3. + the probe: a command run in the restored data that must exit 0 (and print what
   ``probe_expect`` matches).

The status is "passed" only when every step of the level ran and found nothing wrong, every
engine command exited 0 and the number of files verified equals the number expected. The
sandbox (``<sandbox_root>/pcra-restore-*``) is removed in every outcome; the restored data is
in its ``data/`` directory, where restic recreates the snapshot's absolute paths and borg the
archive's relative paths (the probe's ``{sandbox}``). The callbacks: ``progress`` gets a
:class:`Progress` at each phase change and at most once a second within a phase;
``should_cancel`` is asked about every 0.25 s while a command runs. Exceptions raised by either
callback are ignored.
"""

from .core import run_test
from .model import (
    ERROR_CODES,
    PHASES,
    SANDBOX_PREFIX,
    STEPS,
    Progress,
    Step,
    TestResult,
    TestSpec,
)
from .sandbox import remove_stale_sandboxes

__all__ = [
    "ERROR_CODES",
    "PHASES",
    "SANDBOX_PREFIX",
    "STEPS",
    "Progress",
    "Step",
    "TestResult",
    "TestSpec",
    "remove_stale_sandboxes",
    "run_test",
]
