"""Re-encrypt every stored secret with the newest key (``arrosto db rotate-secrets``)."""
from __future__ import annotations

from sqlalchemy import column, select, table, update

from . import crypto
from .db import Database
from .models import Base, EncryptedText


def encrypted_columns() -> list[tuple[str, str]]:
    return [(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns
            if isinstance(c.type, EncryptedText)]


def rotate_all(db: Database) -> int:
    """Rotate each encrypted value in place (raw ciphertext, so the ORM never decrypts it)."""
    count = 0
    with db.engine.begin() as conn:
        for table_name, col in encrypted_columns():
            t = table(table_name, column("id"), column(col))
            for row_id, token in conn.execute(select(t.c.id, t.c[col]).where(
                    t.c[col].is_not(None))):
                conn.execute(update(t).where(t.c.id == row_id)
                             .values({col: crypto.rotate(token)}))
                count += 1
    return count
