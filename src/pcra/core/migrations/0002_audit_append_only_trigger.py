"""The database itself refuses UPDATE and DELETE on the audit log (PostgreSQL and SQLite)."""

from django.db import migrations

from pcra.core import dbtriggers


def forwards(apps, schema_editor):
    dbtriggers.install(schema_editor.connection)


def backwards(apps, schema_editor):
    dbtriggers.remove(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
