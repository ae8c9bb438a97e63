"""A small in-process cache keyed on the ledger's last event seq (and the phase's own content).

The ledger is append-only: any new event, correction included, raises max(seq), so a cached
value computed at seq N is exactly what a fresh computation at seq N gives.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from reports.french import locale
from reports.models import Phase
from reports.queries import last_seq

_LOCK = threading.Lock()
_STORE: OrderedDict[tuple, Any] = OrderedDict()
MAX_ENTRIES = 64


def phase_fingerprint(phase: Phase) -> str:
    return json.dumps([phase.id, phase.name, str(phase.start_date), str(phase.end_date),
                       phase.description, phase.parameters, phase.targets], sort_keys=True, default=str)


def cached(session: Session, key: tuple, compute: Callable[[], Any]) -> Any:
    """`compute()` once per (key, database, ledger seq, language); the least recently used go first.

    The language is part of the key: a report's labels, sentences and numbers are in the person's.
    """
    full = (str(session.get_bind().url), last_seq(session), locale(), *key)
    with _LOCK:
        if full in _STORE:
            _STORE.move_to_end(full)
            return _STORE[full]
    value = compute()
    with _LOCK:
        _STORE[full] = value
        while len(_STORE) > MAX_ENTRIES:
            _STORE.popitem(last=False)
    return value


def clear() -> None:
    with _LOCK:
        _STORE.clear()
