"""A washer with its staff, models, reasons and crates on their way from a point."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bottles.models import BottleModel, CollectionPoint, Crate, Reason, User, Washer, Winemaker
from bottles.rules import Kind, Move, Stage
from tests.factories import T0, Factory


@dataclass
class Dock:
    factory: Factory
    washer: Washer
    other: Washer
    point: CollectionPoint
    staff: User
    coordinator: User
    outsider: User
    bourg: BottleModel
    clav: BottleModel
    cremant: BottleModel
    winemaker: Winemaker
    reasons: dict[str, Reason] = field(default_factory=dict)

    def in_transit(self, count: int = 50, n: int | None = None, round_id: int | None = None) -> Crate:
        """A crate declared full with `count` bottles and picked up on a round."""
        crate = self.factory.full_crate_at(self.point, count=count, washer=self.washer,
                                           at=T0 + timedelta(minutes=n or 0))
        self.factory.event(Kind.PICKUP, at=T0 + timedelta(days=2, minutes=n or 0), crate=crate,
                           point=self.point.id, round_id=round_id,
                           moves=[Move(Stage.AT_POINT, Stage.IN_TRANSIT, count)])
        return crate


def make_dock(factory: Factory) -> Dock:
    washer = factory.washer()
    other = factory.washer(code="LAV2", name="Lavage de Dole")
    point = factory.point()
    dock = Dock(
        factory=factory, washer=washer, other=other, point=point,
        staff=factory.user("washer", washers=[washer]),
        coordinator=factory.user("coordinator"),
        outsider=factory.user("washer", washers=[other]),
        bourg=factory.model(),
        clav=factory.model("CLAV62", "Clavelin 62 cl", 620, glass_mass_g=600),
        cremant=factory.model("CREM75", "Crémant 75 cl", 750, in_pool=False, glass_mass_g=900),
        winemaker=factory.winemaker(estate="Domaine de la Pinte"),
    )
    for code, kind in (("not_in_pool", "refusal"), ("cremant", "refusal"),
                       ("permanent_label", "refusal"), ("broken", "refusal"),
                       ("broken_wash", "reject"), ("label_on", "reject"), ("dirty", "reject"),
                       ("transit_breakage", "loss"), ("count_over", "surplus")):
        dock.reasons[code] = factory.reason(code, kind, code.replace("_", " "))
    return dock
