"""Hooks through which the other packages add to the kernel's pages without being imported.

The kernel never imports collection_points, washer, resales or reports: they register here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from markupsafe import Markup


@dataclass(frozen=True)
class Action:
    """A link on a role's home page or in the menu."""

    label: str
    endpoint: str
    roles: frozenset[str]
    description: str = ""
    in_menu: bool = True


ACTIONS: list[Action] = []
# Each returns an HTML panel for the crate page (crate, user) or None.
CRATE_PANELS: list[Callable[..., Markup | None]] = []
# Each returns an HTML panel for a role's home page (user) or None.
HOME_PANELS: list[Callable[..., Markup | None]] = []


def add_action(label: str, endpoint: str, roles: set[str] | frozenset[str],
               description: str = "", in_menu: bool = True) -> None:
    if not any(a.endpoint == endpoint for a in ACTIONS):
        ACTIONS.append(Action(label, endpoint, frozenset(roles), description, in_menu))


def actions_for(role: str) -> list[Action]:
    return [a for a in ACTIONS if role in a.roles]


def add_crate_panel(panel: Callable[..., Markup | None]) -> None:
    if panel not in CRATE_PANELS:
        CRATE_PANELS.append(panel)


def add_home_panel(panel: Callable[..., Markup | None]) -> None:
    if panel not in HOME_PANELS:
        HOME_PANELS.append(panel)
