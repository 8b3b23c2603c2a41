"""Rotating the field-encryption key (issue 19; SECURITY D3).

Every encrypted column (a `*_encrypted` field of any model) is re-encrypted under the current
key (the first of FIELD_ENCRYPTION_KEYS) in batches, each in its own transaction with its rows
locked, so a concurrent edit is neither lost nor overwritten. A row already under the current
key is skipped: the work is idempotent, and an interrupted run resumes where it stopped.

Blind indexes (`*_index` beside the column) do not depend on the encryption key but on
FIELD_BLIND_INDEX_KEY (or, when that is unset, the current field key): with it pinned to the
key the indexes were made with, rotation leaves them as they are. `reindex=True` recomputes
them from the decrypted values instead (for a new blind-index key; searches may miss rows
until it has finished, so run it in a maintenance window).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models, transaction

from portal import identity

from ..actor import Actor
from ..enums import AuditAction
from .events import event_record

ENCRYPTED_SUFFIX = "_encrypted"
INDEX_SUFFIX = "_index"


@dataclass(frozen=True)
class EncryptedColumn:
    model: type[models.Model]
    field: str
    index_field: str  # "" when the column has no blind index
    kind: str  # the blind index kind: "id" or "phone"

    @property
    def label(self) -> str:
        return f"{self.model._meta.label_lower}.{self.field}"


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column of every installed model, with its blind index if it has one."""
    columns = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        names = {field.name for field in model._meta.concrete_fields}
        for name in sorted(names):
            if not name.endswith(ENCRYPTED_SUFFIX):
                continue
            stem = name.removesuffix(ENCRYPTED_SUFFIX)
            index = stem + INDEX_SUFFIX if stem + INDEX_SUFFIX in names else ""
            kind = "phone" if "phone" in stem else "id"
            columns.append(EncryptedColumn(model, name, index, kind))
    return columns


@dataclass
class BatchResult:
    last_pk: int | None
    seen: int = 0
    reencrypted: int = 0
    reindexed: int = 0
    failed: int = 0


def _index_of(plain: str, kind: str) -> str | None:
    try:
        return identity.blind_index(plain, kind=kind)
    except (identity.IdNumberError, identity.PhoneError):
        return None  # a value the rules no longer accept keeps its index


def _pending(column: EncryptedColumn, *, reindex: bool) -> models.QuerySet:
    rows = column.model._base_manager.exclude(**{column.field: ""})
    if not reindex:
        current = f"{identity._ENCRYPTION_VERSION}:{identity.current_key_id()}:"
        rows = rows.exclude(**{f"{column.field}__startswith": current})
    return rows


def rotation_pending(column: EncryptedColumn) -> int:
    """How many values of `column` are not yet under the current key."""
    return _pending(column, reindex=False).count()


def rotate_batch(
    column: EncryptedColumn, *, after_pk, batch_size: int, reindex: bool = False
) -> BatchResult:
    """Re-encrypt (and with `reindex`, re-index) the next `batch_size` rows after `after_pk`."""
    fields = [column.field] + ([column.index_field] if column.index_field else [])
    with transaction.atomic():
        rows = _pending(column, reindex=reindex).order_by("pk")
        if after_pk is not None:
            rows = rows.filter(pk__gt=after_pk)
        batch = list(rows.select_for_update().only("pk", *fields)[:batch_size])
        result = BatchResult(last_pk=batch[-1].pk if batch else None, seen=len(batch))
        changed, changed_fields = [], set()
        for row in batch:
            token = getattr(row, column.field)
            try:
                plain = identity.decrypt_value(token)
            except identity.DecryptionError:
                result.failed += 1
                continue
            dirty = False
            if identity.needs_reencryption(token):
                setattr(row, column.field, identity.encrypt_value(plain))
                changed_fields.add(column.field)
                result.reencrypted += 1
                dirty = True
            if reindex and column.index_field:
                index = _index_of(plain, column.kind)
                if index is not None and index != getattr(row, column.index_field):
                    setattr(row, column.index_field, index)
                    changed_fields.add(column.index_field)
                    result.reindexed += 1
                    dirty = True
            if dirty:
                changed.append(row)
        if changed:
            column.model._base_manager.bulk_update(changed, sorted(changed_fields))
    return result


def blind_index_mismatch(column: EncryptedColumn) -> bool:
    """Whether the stored blind indexes of `column` were made with another key than the one
    in use now (checked on the first rows that can be read and normalised)."""
    if not column.index_field:
        return False
    rows = column.model._base_manager.exclude(**{column.field: ""}).exclude(
        **{column.index_field: ""}
    )
    for token, stored in rows.order_by("pk").values_list(column.field, column.index_field)[:20]:
        try:
            plain = identity.decrypt_value(token)
        except identity.DecryptionError:
            continue
        index = _index_of(plain, column.kind)
        if index is not None:
            return index != stored
    return False


def rotation_batches(
    column: EncryptedColumn, *, batch_size: int, reindex: bool = False
) -> Iterator[BatchResult]:
    after = None
    while True:
        result = rotate_batch(column, after_pk=after, batch_size=batch_size, reindex=reindex)
        if not result.seen:
            return
        after = result.last_pk
        yield result


@transaction.atomic
def key_rotation_record(*, actor: Actor, counts: dict[str, dict[str, int]]) -> None:
    """One audit event for a rotation run: the key id now in use and counts per column (no
    values, C3)."""
    event_record(
        actor=actor,
        action=AuditAction.UPDATE,
        detail={"key_rotation": {"key_id": identity.current_key_id(), "columns": counts}},
    )
