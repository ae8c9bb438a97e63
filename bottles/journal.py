"""The ledger as one CSV file (DESIGN.md §5): export and bulk import under the ledger's rules."""

from bottles.journal_export import ALL_COLUMNS, COLUMNS, EXTENSION_COLUMNS, export_journal
from bottles.journal_import import ImportReport, import_journal
from bottles.journal_read import RowError

__all__ = ["ALL_COLUMNS", "COLUMNS", "EXTENSION_COLUMNS", "ImportReport", "RowError",
           "export_journal", "import_journal"]
