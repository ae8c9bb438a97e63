"""Resales of clean bottles to winemakers: sales, delivery notes, winemaker pages (DESIGN.md §4)."""
