"""Spreadsheet history: the first phase's XLSX/CSV files read through a saved column mapping
into journal rows, then imported by bottles.journal.importer under the same all-or-nothing rules."""
