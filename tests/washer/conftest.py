"""Fixtures of the washer's tests."""

from __future__ import annotations

import pytest

from tests.washer.dock import Dock, make_dock


@pytest.fixture
def dock(factory) -> Dock:
    made = make_dock(factory)
    factory.session.commit()
    return made
