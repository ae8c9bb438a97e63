"""Catalogue: bottle models, reasons, sites, winemakers and crates, managed by coordinators."""
