"""Property: random receipts, sortings, batches, sales, stock-takes and corrections never make a
stock negative, the projections always match the replayed ledger, and a reference model agrees."""

from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bottles.check import check_ledger
from bottles.models import StockLevel
from bottles.rules import Kind, LedgerError, Stage
from resales import operations as resales
from resales.rules import Line, SaleInputError
from tests.factories import T0
from tests.washer.dock import make_dock
from washer import operations
from washer.rules import InputError


def test_random_washer_work_keeps_the_ledger_sound(app, session, factory):
    clock = {"t": T0 + timedelta(days=3)}  # after the dock's pickups (T0 + 2 days): no receipt before one

    class Washing(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.dock = make_dock(factory)
            self.w = self.dock.washer.id
            self.models = [self.dock.bourg.id, self.dock.clav.id]
            self.stock: dict[tuple[str, int], int] = {}  # (stage, model 0 = mixed) → bottles
            self.done: dict[int, dict] = {}  # event seq → its deltas, while not corrected
            self.in_transit: list = []
            self.transit_total = 0

        def now(self):
            clock["t"] += timedelta(minutes=7)
            return clock["t"]

        def attempt(self, deltas: dict, act, remember: bool = True) -> bool:
            """Run `act` in a savepoint; it must succeed exactly when no stock would go negative."""
            feasible = all(self.stock.get(k, 0) + d >= 0 for k, d in deltas.items())
            try:
                with session.begin_nested():
                    recorded = act()
            except (LedgerError, InputError, SaleInputError):
                assert not feasible, f"refused although feasible: {deltas}"
                return False
            assert feasible, f"accepted although a stock would go negative: {deltas}"
            for key, delta in deltas.items():
                self.stock[key] = self.stock.get(key, 0) + delta
            if recorded is not None and remember:
                self.done[recorded.event.seq] = deltas
            return True

        @rule(count=st.integers(1, 80))
        def crate_arrives_in_transit(self, count):
            self.in_transit.append((self.dock.in_transit(count, len(self.in_transit)), count))

        @precondition(lambda self: self.in_transit)
        @rule(data=st.data(), gap=st.integers(-10, 10))
        def receive(self, data, gap):
            crate, declared = self.in_transit.pop(data.draw(st.integers(0, len(self.in_transit) - 1)))
            counted = max(0, declared + gap)
            reason = (self.dock.reasons["transit_breakage"] if counted < declared
                      else self.dock.reasons["count_over"]).id
            recorded = operations.receive(session, actor=self.dock.staff, at=self.now(),
                                          event_id=uuid.uuid4(), washer_id=self.w, crate=crate,
                                          counted=counted, reason_id=reason)
            deltas = {(Stage.RECEIVED.value, 0): counted}
            self.stock[(Stage.RECEIVED.value, 0)] = self.stock.get((Stage.RECEIVED.value, 0), 0) + counted
            self.done[recorded.event.seq] = deltas

        @rule(a=st.integers(0, 60), b=st.integers(0, 60), refused=st.integers(0, 30))
        def sort(self, a, b, refused):
            if not (a or b or refused):
                return
            deltas = {(Stage.RECEIVED.value, 0): -(a + b + refused)}
            for model, q in zip(self.models, (a, b), strict=True):
                if q:
                    deltas[(Stage.SORTED.value, model)] = q
            self.attempt(deltas, lambda: operations.sort(
                session, actor=self.dock.staff, at=self.now(), event_id=uuid.uuid4(), washer_id=self.w,
                eligible=dict(zip(self.models, (a, b), strict=True)),
                refusals=[operations.Refusal(self.dock.reasons["cremant"].id, refused)]))

        @rule(i=st.integers(0, 1), accepted=st.integers(0, 50), rejected=st.integers(0, 10),
              off=st.sampled_from([0, 0, 0, 1]))
        def wash(self, i, accepted, rejected, off):
            model = self.models[i]
            taken = accepted + rejected + off
            if not taken:
                return
            line = operations.WashLine(model, taken, accepted, {self.dock.reasons["dirty"].id: rejected})
            act = lambda: operations.wash(session, actor=self.dock.staff, at=self.now(),  # noqa: E731
                                          event_id=uuid.uuid4(), washer_id=self.w, lines=[line])
            if off:  # accepted + rejected ≠ taken: always refused, nothing recorded
                try:
                    with session.begin_nested():
                        act()
                except InputError:
                    return
                raise AssertionError("an unbalanced batch was recorded")
            deltas = {(Stage.SORTED.value, model): -taken}
            if accepted:
                deltas[(Stage.CLEAN.value, model)] = accepted
            self.attempt(deltas, act)

        @rule(i=st.integers(0, 1), quantity=st.integers(1, 60), price=st.integers(0, 1000))
        def sale(self, i, quantity, price):
            model = self.models[i]
            self.attempt({(Stage.CLEAN.value, model): -quantity}, lambda: resales.record_sale(
                session, actor=self.dock.coordinator, at=self.now(), event_id=uuid.uuid4(),
                washer_id=self.w, winemaker_id=self.dock.winemaker.id,
                lines=[Line(model, quantity, price)]))

        @rule(stage=st.sampled_from([Stage.RECEIVED, Stage.SORTED, Stage.CLEAN]), i=st.integers(0, 1),
              gap=st.integers(-15, 15))
        def stocktake(self, stage, i, gap):
            model = 0 if stage == Stage.RECEIVED else self.models[i]
            have = self.stock.get((stage.value, model), 0)
            counted = max(0, have + gap)
            if counted == have:
                return
            self.attempt({(stage.value, model): counted - have}, lambda: operations.stocktake(
                session, actor=self.dock.staff, at=self.now(), event_id=uuid.uuid4(), washer_id=self.w,
                stage=stage, counted={model: counted},
                loss_reason_id=self.dock.reasons["transit_breakage"].id,
                surplus_reason_id=self.dock.reasons["count_over"].id))

        @precondition(lambda self: self.done)
        @rule(data=st.data())
        def correct(self, data):
            seq = data.draw(st.sampled_from(sorted(self.done)))
            deltas = {k: -d for k, d in self.done[seq].items()}
            corrected = self.attempt(deltas, lambda: operations.correct(
                session, actor=self.dock.coordinator, at=self.now(), event_id=uuid.uuid4(),
                target_seq=seq, note="erreur de saisie"), remember=False)  # corrections stay final
            if corrected:
                del self.done[seq]

        @invariant()
        def ledger_is_sound(self):
            session.flush()
            negative = session.query(StockLevel).filter(StockLevel.quantity < 0).count()
            assert negative == 0
            assert check_ledger(session) == []
            held = {(r.stage, r.model_id): r.quantity for r in session.query(StockLevel).filter(
                StockLevel.site_id == self.w, StockLevel.quantity != 0,
                StockLevel.stage.in_(["received", "sorted", "clean"]))}
            expected = {k: v for k, v in self.stock.items() if v}
            assert held == expected

        def teardown(self):
            session.rollback()

    run_state_machine_as_test(Washing, settings=settings(
        max_examples=25, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]))


def test_receipt_kind_is_not_correctable_twice(session, factory):
    """A correction of a correction is refused (sanity check of the rule the machine relies on)."""
    dock = make_dock(factory)
    crate = dock.in_transit(10)
    recorded = operations.receive(session, actor=dock.staff, at=T0 + timedelta(days=3),
                                  event_id=uuid.uuid4(), washer_id=dock.washer.id, crate=crate, counted=10)
    fix = operations.correct(session, actor=dock.staff, at=T0 + timedelta(days=3, hours=1),
                             event_id=uuid.uuid4(), target_seq=recorded.event.seq, note="doublon")
    try:
        operations.correct(session, actor=dock.staff, at=T0 + timedelta(days=3, hours=2),
                           event_id=uuid.uuid4(), target_seq=fix.event.seq, note="x")
    except InputError as error:
        assert "ne se corrige pas" in str(error)
    else:
        raise AssertionError("a correction was corrected")
    assert Kind.CORRECTION.value == fix.event.kind
