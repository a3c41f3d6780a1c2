"""The item store on its own: columns that grow by doubling, views, status counts."""

from __future__ import annotations

import math

import numpy as np

from simulation.codes import ABANDONED, ANSWERED, NOT_RECEIVED, OPEN, REFERRED, STATUS_NAMES

# The store is expected to move to simulation/items.py: repoint this one import then.
from simulation.items import ItemStore


def capacity(store: ItemStore) -> int:
    """Rows allocated: the length of any full column."""
    return len(store.status)


def test_a_new_store_is_empty_with_at_least_sixteen_rows():
    assert len(ItemStore()) == 0
    assert capacity(ItemStore(capacity=1)) == 16, "capacity below 16 should be raised to 16"
    assert capacity(ItemStore(capacity=100)) == 100
    assert ItemStore().view("status").shape == (0,)


def test_add_returns_consecutive_ids_and_fills_the_given_columns():
    store = ItemStore(capacity=16)
    first = store.add(author=np.array([5, 6, 7]), created=np.array([0.5, 1.0, 1.5]))
    second = store.add(author=np.array([8, 9]), created=np.array([2.0, 2.5]))
    assert first.tolist() == [0, 1, 2] and second.tolist() == [3, 4]
    assert len(store) == 5
    assert store.view("author").tolist() == [5, 6, 7, 8, 9]
    assert store.view("created").tolist() == [0.5, 1.0, 1.5, 2.0, 2.5]


def test_growing_past_capacity_doubles_and_keeps_earlier_rows():
    store = ItemStore(capacity=16)
    store.add(author=np.arange(10), kind=np.full(10, 2), status=np.full(10, ANSWERED))
    assert capacity(store) == 16
    store.add(author=np.arange(10, 30))  # 30 rows: 16 → 32
    assert capacity(store) == 32, f"capacity after 30 rows: expected 32, got {capacity(store)}"
    assert store.view("author").tolist() == list(range(30)), "earlier rows were not kept"
    assert store.view("kind")[:10].tolist() == [2] * 10
    assert (store.view("status")[:10] == ANSWERED).all()
    store.add(author=np.arange(100))  # 130 rows: 32 → 64 → 128 → 256
    assert capacity(store) == 256, f"capacity after 130 rows: expected 256, got {capacity(store)}"
    assert len(store) == 130 and store.view("author")[:30].tolist() == list(range(30))


def test_columns_not_given_keep_their_fill_values_after_growth():
    store = ItemStore(capacity=16)
    store.add(author=np.arange(40))
    fills = {
        "status": NOT_RECEIVED,
        "kind": -1,
        "second_topic": -1,
        "operator": -1,
        "escalations": 0,
        "in_service": False,
    }
    for name, fill in fills.items():
        column = getattr(store, name)  # the whole column, unused rows included
        assert (column == fill).all(), f"{name}: expected every row {fill}, got {set(column)}"
    assert np.isnan(store.view("reply_time")).all() and np.isnan(store.view("created")).all()
    assert np.isinf(store.view("expire_at")).all() and np.isinf(store.view("deadline")).all()


def test_view_is_the_filled_part_of_a_column():
    store = ItemStore(capacity=16)
    store.add(quality=np.array([1, 3, 2], dtype=np.int8))
    view = store.view("quality")
    assert view.shape == (3,) and view.dtype == np.int8
    assert view.tolist() == [1, 3, 2]
    view[0] = 2  # a view, not a copy: the model updates rows through it
    assert store.quality[0] == 2


def test_status_counts_count_received_rows_by_status():
    store = ItemStore()
    statuses = [OPEN, OPEN, REFERRED, ANSWERED, ANSWERED, ANSWERED, ABANDONED, NOT_RECEIVED]
    store.add(status=np.array(statuses, dtype=np.int8))
    expected = {"open": 2, "referred": 1, "answered": 3, "abandoned": 1, "expired": 0}
    assert set(STATUS_NAMES.values()) == set(expected)
    assert store.status_counts() == expected, f"got {store.status_counts()}"
    assert store.received_count() == 7, "the row not received is not counted"
    assert math.fsum(store.status_counts().values()) == store.received_count()
