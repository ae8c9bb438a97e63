"""Chart axes of whole bottles or crates never repeat a tick label (0,5 shown as "0")."""

from __future__ import annotations

from reports import charts


def test_small_counts_get_whole_ticks():
    fig = charts.hbars([("pleine", 3), ("en service", 2)], "Parc de caisses", "Caisses")
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert len(labels) == len(set(labels)), labels
