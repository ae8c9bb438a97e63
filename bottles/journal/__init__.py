"""The ledger as one CSV file (docs/ledger.md, "The journal file"): export, and bulk import
under the ledger's rules.

    columns   the column order and an index per column name
    rows      a file's rows, its header and the parsing of one cell
    catalogue the codes a file names, resolved or planned for creation
    read      rows into events, each row checked on its own
    check     the ledger's rules over the new events, in order
    create    what --create-missing creates
    write     events, movements and projections in bulk
    importer  import_journal: read, check, then write all or nothing
    export    export_journal, streamed
    epcis     the ledger's events as EPCIS 2.0 events (pure; docs/epcis.md), and
    epcis_export  the EPCIS 2.0 JSON-LD document, streamed
"""

from bottles.journal.columns import ALL_COLUMNS, COLUMNS, EXTENSION_COLUMNS
from bottles.journal.export import export_journal
from bottles.journal.importer import import_journal
from bottles.journal.report import ImportReport
from bottles.journal.rows import RowError

__all__ = ["ALL_COLUMNS", "COLUMNS", "EXTENSION_COLUMNS", "ImportReport", "RowError",
           "export_journal", "import_journal"]
