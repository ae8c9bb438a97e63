"""Pure rules: counts, priorities, lateness, CO₂, maps links."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from collection_points import rules
from collection_points.rules import PointNeed, Refused

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("raw, expected", [("60", 60), (" 12 ", 12), (1, 1), ("180", 180)])
def test_good_counts(raw, expected):
    assert rules.parse_count(raw, 60) == expected


@pytest.mark.parametrize("raw", ["0", "-3", "181", "1.5", "1e3", "²", "", None, True, "12 bouteilles"])
def test_bad_counts(raw):
    with pytest.raises(Refused):
        rules.parse_count(raw, 60)


def test_zero_allowed_for_a_counted_pickup_and_split_checks_its_total():
    assert rules.parse_count("0", 60, allow_zero=True) == 0
    assert rules.parse_split({1: "20", 2: "", 3: "0"}, 50, 60) == {1: 20}
    with pytest.raises(Refused, match="dépasse le total"):
        rules.parse_split({1: "30", 2: "30"}, 50, 60)


def test_priority_full_crates_waiting_longest_then_points_not_visited():
    needs = [
        PointNeed(1, 0, 0, None, NOW - timedelta(days=3)),
        PointNeed(2, 2, 90, NOW - timedelta(days=1), NOW),
        PointNeed(3, 1, 50, NOW - timedelta(days=9), None),
        PointNeed(4, 0, 0, None, None),
        PointNeed(5, 0, 0, None, NOW - timedelta(days=30)),
    ]
    order = [n.point_id for n in sorted(needs, key=lambda n: rules.priority_key(n, NOW))]
    assert order == [3, 2, 4, 5, 1]


def test_late_waiting_co2_and_share():
    assert rules.is_late(NOW - timedelta(days=8), NOW) and not rules.is_late(NOW - timedelta(days=6), NOW)
    assert rules.waiting_text(NOW - timedelta(days=3, hours=2), NOW) == "3 j"
    assert rules.waiting_text(NOW - timedelta(hours=5), NOW) == "5 h"
    assert rules.reused_share(100, 200) == (0.36, False)  # too little data: the Jura reference
    assert rules.reused_share(600, 1000) == (0.6, True)
    assert rules.co2_avoided_kg(1000, 0.5) == pytest.approx(170.0)


def test_maps_links_and_decimals():
    links = rules.maps_links(Decimal("46.6743"), Decimal("5.5546"), "1 rue X")
    assert links["geo"] == "geo:46.6743,5.5546?q=46.6743,5.5546"
    assert links["web"].startswith("https://www.openstreetmap.org/?mlat=46.6743&mlon=5.5546")
    assert rules.maps_links(None, None, "1 rue X, Lons")["geo"] == "geo:0,0?q=1%20rue%20X%2C%20Lons"
    assert rules.parse_decimal("84,5", "km", Decimal(2000), 1) == Decimal("84.5")
    for bad in ("", "abc", "-1", "NaN", "Infinity", "3000"):
        with pytest.raises(Refused):
            rules.parse_decimal(bad, "km", Decimal(2000), 1)
