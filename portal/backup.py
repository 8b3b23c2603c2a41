"""Backups that restore (SECURITY G6; issue 19): `make backup` and `make restore-drill`.

A backup is a folder var/backups/<UTC time>/ (BACKUP_DIR) holding:

- `db.dump`: PostgreSQL's `pg_dump -Fc`, taken in an exported snapshot, so that the dump and
  the row counts of the manifest describe the same instant; or, on SQLite, a copy made with
  SQLite's online backup API (`db.sqlite3`), counted from the copy itself;
- `files/<alias>/...`: every file of the "private" storage (attachments, agreements, roster
  imports, generated PDFs) and of "default" (Wagtail's media), read through Django's Storage
  API, so it works the same for the local disk and an S3 bucket. Files are copied after the
  database: a file written meanwhile is extra, never missing;
- `manifest.json`, written last (a folder without one is an unfinished backup): rows per
  table, the audit log's count and a digest over all its rows, and size and SHA-256 of the
  dump and of each file.

The restore drill restores the latest backup into a fresh database (a new PostgreSQL database
beside the live one, or a new SQLite file) and a fresh file storage (a new folder), then checks
it against the manifest: rows per table, the audit log (count and digest: nothing missing or
changed), a sample of the encrypted identifiers of every encrypted column decrypts with the
configured keys (and its blind index matches), every file is there with its checksum, and
every file a row names exists. The keys are NOT in the backup: they are kept apart (README).
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.db import connection, models

from backoffice.services.events import AUDIT_COLUMNS as RECORDED_AUDIT_COLUMNS

FILE_ALIASES = ("private", "default")
MANIFEST = "manifest.json"
AUDIT_TABLE = "backoffice_auditevent"
# The audit digest covers every column the event recorder writes, and the row's id.
AUDIT_COLUMNS = ("id", *RECORDED_AUDIT_COLUMNS)
SAMPLE_PER_COLUMN = 20
CHUNK = 1024 * 1024


class BackupError(RuntimeError):
    pass


def backup_root() -> Path:
    return Path(getattr(settings, "BACKUP_DIR", "") or Path(settings.VAR_DIR) / "backups")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _pg_tool(name: str) -> str:
    """The newest installed pg_dump / pg_restore (a dump needs a client at least as new as the
    server), else the one on PATH."""
    found = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda path: int(Path(path).parts[-3]) if Path(path).parts[-3].isdigit() else 0,
    )
    tool = found[-1] if found else shutil.which(name)
    if not tool:
        raise BackupError(f"{name} not found (install postgresql-client)")
    return tool


def _pg_env(params: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = []
    if params.get("HOST"):
        args += ["-h", str(params["HOST"])]
    if params.get("PORT"):
        args += ["-p", str(params["PORT"])]
    if params.get("USER"):
        args += ["-U", str(params["USER"])]
    env = dict(os.environ)
    if params.get("PASSWORD"):
        env["PGPASSWORD"] = str(params["PASSWORD"])
    return args, env


# Counting and digesting, over a DB-API cursor (the live database or a restored one) ------------


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_counts(cursor, tables: list[str]) -> dict[str, int]:
    counts = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _canonical(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    if isinstance(value, str) and value[:1] in "{[":
        try:  # SQLite keeps JSON as text
            return json.dumps(json.loads(value), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return value
    text = str(value)
    if isinstance(value, str) and len(text) >= 19 and text[4] == "-" and text[10] in " T":
        try:  # SQLite keeps datetimes as text
            parsed = dt.datetime.fromisoformat(text)
            return _canonical(parsed)
        except ValueError:
            return text
    return text


def audit_digest(cursor) -> dict[str, Any]:
    """Count, last id and a SHA-256 over every audit row in id order: a restored log with a
    row missing, added or changed has another digest."""
    columns = ", ".join(_quote(column) for column in AUDIT_COLUMNS)
    cursor.execute(f"SELECT {columns} FROM {_quote(AUDIT_TABLE)} ORDER BY id")  # noqa: S608
    digest, count, last = hashlib.sha256(), 0, 0
    while rows := cursor.fetchmany(5000):
        for row in rows:
            digest.update("\x1f".join(_canonical(value) for value in row).encode() + b"\x1e")
            count += 1
            last = row[0]
    return {"count": count, "last_id": last, "sha256": digest.hexdigest()}


# Backup ----------------------------------------------------------------------------------------


def _walk(storage: Storage, prefix: str = ""):
    try:
        directories, files = storage.listdir(prefix)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{prefix}{name}"
    for directory in sorted(directories):
        yield from _walk(storage, f"{prefix}{directory}/")


def _copy_files(target: Path) -> dict[str, dict[str, dict[str, Any]]]:
    copied: dict[str, dict[str, dict[str, Any]]] = {}
    for alias in FILE_ALIASES:
        storage = storages[alias]
        entries = copied.setdefault(alias, {})
        for name in _walk(storage):
            destination = target / "files" / alias / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            digest, size = hashlib.sha256(), 0
            with storage.open(name, "rb") as source, open(destination, "wb") as out:
                while block := source.read(CHUNK):
                    digest.update(block)
                    size += len(block)
                    out.write(block)
            entries[name] = {"sha256": digest.hexdigest(), "size": size}
    return copied


def _backup_postgresql(target: Path) -> dict[str, Any]:
    params = connection.settings_dict
    dump = target / "db.dump"
    # One snapshot for the counts and the dump: the connection exporting it stays open in a
    # repeatable-read transaction until pg_dump has finished.
    snapshot_conn = connection.get_new_connection(connection.get_connection_params())
    try:
        snapshot_conn.autocommit = False
        with snapshot_conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = [row[0] for row in cursor.fetchall()]
            counts = table_counts(cursor, tables)
            audit = audit_digest(cursor)
            args, env = _pg_env(params)
            result = subprocess.run(  # noqa: S603
                [
                    _pg_tool("pg_dump"),
                    *args,
                    "-Fc",
                    "--no-owner",
                    "--no-acl",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(dump),
                    str(params["NAME"]),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        snapshot_conn.rollback()
    finally:
        snapshot_conn.close()
    return {"vendor": "postgresql", "file": dump.name, "tables": counts, "audit": audit}


def _backup_sqlite(target: Path) -> dict[str, Any]:
    copy = target / "db.sqlite3"
    connection.ensure_connection()
    destination = sqlite3.connect(copy)
    try:
        connection.connection.backup(destination)  # SQLite's online backup: one consistent copy
        cursor = destination.cursor()
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = [row[0] for row in cursor.fetchall() if not row[0].startswith("sqlite_")]
        counts = table_counts(cursor, tables)
        audit = audit_digest(cursor)
    finally:
        destination.close()
    return {"vendor": "sqlite", "file": copy.name, "tables": counts, "audit": audit}


def backup_create(root: Path | None = None, *, now: dt.datetime | None = None) -> Path:
    """Write one backup folder and return it."""
    now = now or dt.datetime.now(dt.UTC)
    root = root or backup_root()
    target = root / now.strftime("%Y%m%dT%H%M%S%fZ")
    target.mkdir(parents=True, exist_ok=False)
    if connection.vendor == "postgresql":
        database = _backup_postgresql(target)
    elif connection.vendor == "sqlite":
        database = _backup_sqlite(target)
    else:
        raise BackupError(f"no backup for {connection.vendor}")
    dump = target / database["file"]
    database["sha256"] = _sha256_file(dump)
    database["size"] = dump.stat().st_size
    files = _copy_files(target)
    manifest = {
        "format": 1,
        "created_at": now.isoformat(),
        "database": database,
        "files": files,
    }
    partial = target / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True))
    partial.rename(target / MANIFEST)
    return target


def latest_backup(root: Path | None = None) -> Path:
    root = root or backup_root()
    done = sorted(path.parent for path in root.glob(f"*/{MANIFEST}"))
    if not done:
        raise BackupError(f"no finished backup in {root}")
    return done[-1]


def files_restore(backup: Path, *, aliases=FILE_ALIASES) -> dict[str, int]:
    """Put the files of `backup` back into the configured storages (the local disk or the
    bucket), under their own names, after checking each against the manifest. A file already
    there with the same content is skipped; one there with other content is an error."""
    manifest = json.loads((backup / MANIFEST).read_text())
    restored: dict[str, int] = {}
    for alias in aliases:
        storage = storages[alias]
        restored[alias] = 0
        for name, entry in manifest["files"].get(alias, {}).items():
            path = backup / "files" / alias / name
            if _sha256_file(path) != entry["sha256"]:
                raise BackupError(f"{alias}/{name}: checksum differs from the manifest")
            if storage.exists(name):
                with storage.open(name, "rb") as existing:
                    if hashlib.sha256(existing.read()).hexdigest() == entry["sha256"]:
                        continue
                raise BackupError(f"{alias}/{name}: a different file is already stored")
            with open(path, "rb") as handle:
                saved = storage.save(name, File(handle))
            if saved != name:
                raise BackupError(f"{alias}/{name}: stored as {saved}")
            restored[alias] += 1
    return restored


# Restore drill ---------------------------------------------------------------------------------


@dataclass
class Check:
    name_zh: str
    name_en: str
    ok: bool
    detail: str = ""


@dataclass
class DrillReport:
    backup: Path
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    def add(self, name_zh: str, name_en: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name_zh, name_en, ok, detail))


def _restore_postgresql(backup: Path, manifest: dict, name: str):
    params = connection.settings_dict
    args, env = _pg_env(params)
    admin = connection.get_new_connection(connection.get_connection_params())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {_quote(name)}")
    admin.close()
    result = subprocess.run(  # noqa: S603
        [
            _pg_tool("pg_restore"),
            *args,
            "--no-owner",
            "--no-acl",
            "--exit-on-error",
            "-d",
            name,
            str(backup / manifest["database"]["file"]),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()[-2000:]}")
    conn_params = {**connection.get_connection_params(), "dbname": name}
    return connection.get_new_connection(conn_params)


def _drop_postgresql(name: str) -> None:
    admin = connection.get_new_connection(connection.get_connection_params())
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {_quote(name)}")
    admin.close()


def _restore_sqlite(backup: Path, manifest: dict, workdir: Path):
    restored = workdir / "restored.sqlite3"
    shutil.copyfile(backup / manifest["database"]["file"], restored)
    return sqlite3.connect(restored)


def _restore_files(backup: Path, manifest: dict, workdir: Path) -> dict[str, Storage]:
    """Every file into a fresh storage per alias, through the Storage API."""
    restored = {}
    for alias, entries in manifest["files"].items():
        storage = FileSystemStorage(location=workdir / "files" / alias)
        for name in entries:
            with open(backup / "files" / alias / name, "rb") as handle:
                saved = storage.save(name, File(handle))
            if saved != name:
                raise BackupError(f"restored file renamed: {name} -> {saved}")
        restored[alias] = storage
    return restored


def _encrypted_columns():
    from backoffice.services.keys import encrypted_columns

    return encrypted_columns()


def _check_identifiers(report: DrillReport, cursor) -> None:
    from portal import identity

    checked = failed = 0
    bad: list[str] = []
    for column in _encrypted_columns():
        table = column.model._meta.db_table
        index = column.index_field
        selected = _quote(column.field) + (f", {_quote(index)}" if index else "")
        cursor.execute(
            f"SELECT {selected} FROM {_quote(table)} "  # noqa: S608
            f"WHERE {_quote(column.field)} <> '' ORDER BY 1 LIMIT {SAMPLE_PER_COLUMN}"
        )
        for row in cursor.fetchall():
            checked += 1
            try:
                plain = identity.decrypt_value(row[0])
                if index and row[1]:
                    if identity.blind_index(plain, kind=column.kind) != row[1]:
                        raise identity.DecryptionError("blind index differs")
            except (identity.DecryptionError, identity.IdNumberError, identity.PhoneError):
                failed += 1
                if column.label not in bad:
                    bad.append(column.label)
    report.add(
        "加密身份信息抽样解密",
        "sample of encrypted identifiers decrypts",
        failed == 0,
        f"{checked - failed}/{checked}" + (f" 失败 failed: {', '.join(bad)}" if bad else ""),
    )


def _referenced_files(cursor) -> dict[str, set[str]]:
    """The names every FileField of every model points at, by storage alias."""
    from intake.uploads import private_storage

    named: dict[str, set[str]] = {}
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if not isinstance(model_field, models.FileField):
                continue
            storage = model_field.storage
            alias = "private" if storage is private_storage else "default"
            cursor.execute(
                f"SELECT {_quote(model_field.column)} FROM {_quote(model._meta.db_table)} "  # noqa: S608
                f"WHERE {_quote(model_field.column)} <> ''"
            )
            named.setdefault(alias, set()).update(row[0] for row in cursor.fetchall() if row[0])
    return named


def restore_drill(
    backup: Path | None = None, *, workdir: Path | None = None, keep: bool = False
) -> DrillReport:
    """Restore `backup` (the latest by default) into a fresh database and storage and check it."""
    backup = backup or latest_backup()
    manifest = json.loads((backup / MANIFEST).read_text())
    report = DrillReport(backup=backup)
    database = manifest["database"]
    dump = backup / database["file"]
    report.add(
        "数据库备份文件校验和",
        "database dump checksum",
        dump.exists() and _sha256_file(dump) == database["sha256"],
        database["file"],
    )
    workdir = Path(workdir or tempfile.mkdtemp(prefix="restore-drill-"))
    workdir.mkdir(parents=True, exist_ok=True)
    pg_name = ""
    restored = None
    try:
        if database["vendor"] == "postgresql":
            if connection.vendor != "postgresql":
                raise BackupError("a PostgreSQL backup restores with DATABASE_URL set")
            pg_name = "restore_drill_" + backup.name.lower()
            _drop_postgresql(pg_name)
            restored = _restore_postgresql(backup, manifest, pg_name)
        else:
            restored = _restore_sqlite(backup, manifest, workdir)
        cursor = restored.cursor()
        counts = table_counts(cursor, list(database["tables"]))
        differing = [
            f"{table}: {database['tables'][table]} -> {counts[table]}"
            for table in sorted(counts)
            if counts[table] != database["tables"][table]
        ]
        report.add(
            "各表行数与清单一致",
            "rows per table match the manifest",
            not differing,
            f"{len(counts)} 张表 tables, {sum(counts.values())} 行 rows"
            + (f"; 不一致 differ: {'; '.join(differing[:10])}" if differing else ""),
        )
        audit = audit_digest(cursor)
        expected = database["audit"]
        report.add(
            "审计日志完整（条数与摘要）",
            "audit log complete (count and digest)",
            audit == expected,
            f"{audit['count']}/{expected['count']}",
        )
        _check_identifiers(report, cursor)
        storages_restored = _restore_files(backup, manifest, workdir)
        total = bad = 0
        bad_names: list[str] = []
        for alias, entries in manifest["files"].items():
            storage = storages_restored[alias]
            for name, entry in entries.items():
                total += 1
                path = Path(storage.path(name))
                if not path.exists() or _sha256_file(path) != entry["sha256"]:
                    bad += 1
                    bad_names.append(f"{alias}/{name}")
        report.add(
            "文件齐全且校验和一致",
            "files present with matching checksums",
            bad == 0,
            f"{total - bad}/{total}" + (f"; {', '.join(bad_names[:5])}" if bad_names else ""),
        )
        missing = []
        for alias, names in _referenced_files(cursor).items():
            have = storages_restored.get(alias)
            missing += [f"{alias}/{n}" for n in sorted(names) if have is None or not have.exists(n)]
        report.add(
            "数据库引用的文件都在",
            "every file the database names is there",
            not missing,
            f"缺少 missing: {', '.join(missing[:5])}" if missing else "",
        )
        cursor.close()
    except BackupError as failed:
        report.add("恢复", "restore", False, str(failed))
    finally:
        if restored is not None:
            restored.close()
        if pg_name and not keep:
            _drop_postgresql(pg_name)
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return report


def drill_summary(report: DrillReport) -> str:
    lines = [f"恢复演练 Restore drill: {report.backup}"]
    for check in report.checks:
        mark = "通过 OK  " if check.ok else "失败 FAIL"
        detail = f"  ({check.detail})" if check.detail else ""
        lines.append(f"  [{mark}] {check.name_zh} / {check.name_en}{detail}")
    lines.append(
        "结果：恢复演练通过 / Result: restore drill passed"
        if report.ok
        else "结果：恢复演练失败 / Result: restore drill FAILED"
    )
    return "\n".join(lines)
