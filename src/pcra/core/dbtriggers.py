"""Database triggers that make the audit log append-only at the database level.

Used by migration ``core.0002`` and by the test fixture that lets a transactional test empty the
database afterwards (SQLite's flush deletes rows, which the trigger refuses; PostgreSQL's flush
truncates, which row triggers do not see).
"""

from __future__ import annotations

POSTGRESQL_CREATE = [
    """CREATE OR REPLACE FUNCTION pcra_audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit log is append-only';
    END;
    $$ LANGUAGE plpgsql""",
    """CREATE OR REPLACE TRIGGER pcra_audit_append_only
        BEFORE UPDATE OR DELETE ON core_auditentry
        FOR EACH ROW EXECUTE FUNCTION pcra_audit_append_only()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS pcra_audit_append_only ON core_auditentry",
    "DROP FUNCTION IF EXISTS pcra_audit_append_only()",
]
SQLITE_CREATE = [
    "CREATE TRIGGER IF NOT EXISTS pcra_audit_no_update BEFORE UPDATE ON core_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS pcra_audit_no_delete BEFORE DELETE ON core_auditentry "
    "BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS pcra_audit_no_update",
    "DROP TRIGGER IF EXISTS pcra_audit_no_delete",
]


def _statements(vendor: str, *, create: bool) -> list[str]:
    if vendor == "postgresql":
        return POSTGRESQL_CREATE if create else POSTGRESQL_DROP
    if vendor == "sqlite":
        return SQLITE_CREATE if create else SQLITE_DROP
    return []


def install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, create=True):
            cursor.execute(sql)


def remove(connection) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection.vendor, create=False):
            cursor.execute(sql)
