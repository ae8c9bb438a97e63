"""A saved column mapping: which journal field each header of a history spreadsheet feeds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bottles.db import db
from bottles.models import UTC_DT, User, utcnow

MAX_NAME = 80


class ImportMapping(db.Model):
    """One reusable mapping: per source header a journal field and a format, fixed values, options."""

    __tablename__ = "import_mappings"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_NAME), unique=True)
    # [{"header": "Point", "field": "collection_point", "format": ""}, ...] in the file's order
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # journal field -> the value every row takes (e.g. {"kind": "collection"})
    fixed: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # reading options: header line, first and last data lines, sheet
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTC_DT, default=utcnow)
    created_by: Mapped[User] = relationship(lazy="joined")
