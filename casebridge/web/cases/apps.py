from typing import Any

from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "casebridge.web.cases"
    label = "cases"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate

        post_migrate.connect(create_cache_table, sender=self, dispatch_uid="cb.cache_table")
        connection_created.connect(private_sqlite_files, dispatch_uid="cb.sqlite_mode")
        connection_created.connect(sqlite_secure_delete, dispatch_uid="cb.sqlite_secure_delete")


def sqlite_secure_delete(sender: Any, connection: Any, **kwargs: Any) -> None:
    """SQLite overwrites deleted content with zeros (it would otherwise stay in
    free pages of the file): an erased case's rows, its wrapped key among them,
    leave no bytes behind, and neither do the older copies of a row an update
    replaced (cases/erasure.do_erase_case)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA secure_delete = ON")


def create_cache_table(sender: Any, using: str = "default", **kwargs: Any) -> None:
    """`migrate` also creates the database cache's table (idempotent), so a
    fresh machine, `casebridge serve` and the test databases all have it."""
    from django.core.management import call_command

    call_command("createcachetable", database=using, verbosity=0)


def private_sqlite_files(sender: Any, connection: Any, **kwargs: Any) -> None:
    """A SQLite file (and its -wal and -shm) is readable by its owner only,
    whatever the umask it was created under."""
    import os
    from pathlib import Path

    if connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (Path(name), Path(name + "-wal"), Path(name + "-shm")):
        try:
            if path.is_file() and path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)
        except OSError:
            pass
