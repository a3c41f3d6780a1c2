"""Follower graphs kept for reuse between the runs of one worker process.

A run's follower graph (`simulation.network.build_graph`: CSR arrays, opinion leaders,
edge-list labels) depends only on the settings that enter its draws and on the run's
root seed, never on anything else the scenario says. The design points of a sweep with
common random numbers share their seeds, so point after point builds the same graph:
a `GraphCache` builds it once per seed and hands the same arrays to every later run
whose `graph_key` is equal.

What the key holds, each because `build_graph` reads it:

- the root seed (the `network` stream, and the `account_followers` member streams of
  accounts after the first, derive from it);
- the citizens asked for (`population.citizens`);
- the follow share of every account in order (the first drawn from the `network`
  stream, each further one from its own member stream), which also counts the accounts;
- every `network` setting (kind, mean_following, follower_exponent,
  rewiring_probability, reciprocal, edge_list_direction, opinion_leader_share, and
  edge_list as its file's resolved path and content digest, so an edited file is a new
  graph). Settings a generator ignores are in the key too: a few graphs fewer shared,
  never a wrong one.

A cached graph's arrays are read-only (`flags.writeable = False`): a run that tried to
change them would raise instead of changing the graph the next run gets. Runs with a
cache hit skip the `network` stream's draws; nothing else draws from that stream, so
their outputs are bit for bit those of a run that built its own graph.

Each process has its own cache (`WORKER_GRAPHS`), used by the experiment executors
(`simulation.experiment.executors`): module-level, least recently used first out,
bounded by the bytes of its graphs' arrays (`GRAPH_CACHE_BYTES`). Runs made directly
(`run_one`, `GovernmentResponseModel`) build their own graph unless handed a cache.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simulation.network import FollowerGraph

if TYPE_CHECKING:
    from simulation.scenario import Scenario

# Bytes of graph arrays one process keeps (256 MiB): a 10,000-citizen graph is about
# 1 MB, a million-citizen one about 90 MB, so a worker keeps two of the largest and
# hundreds of the sweeps' usual size. An assumption: enough for a worker's share of a
# common-random-numbers sweep, small beside the memory a run itself takes.
GRAPH_CACHE_BYTES = 256 * 2**20

GraphKey = tuple[int, int, tuple[float, ...], str]


def graph_key(scenario: Scenario, seed: int, follow_shares: Sequence[float]) -> GraphKey:
    """What the run's follower graph depends on (see the module docstring), hashable.

    Parameters:
        scenario: the run's scenario (its `network` and `population.citizens`).
        seed: the run's root seed.
        follow_shares: each account's share of followers, in account order.
    """
    network = scenario.network.model_dump(mode="json")
    if scenario.network.edge_list:
        from simulation.inputs import EDGE_LIST, input_digest

        path = Path(scenario.network.edge_list)
        network["edge_list"] = [str(path.resolve()), input_digest(path, EDGE_LIST)]
    return (
        int(seed),
        int(scenario.population.citizens),
        tuple(float(share) for share in follow_shares),
        json.dumps(network, sort_keys=True, separators=(",", ":")),
    )


def graph_bytes(graph: FollowerGraph) -> int:
    """Bytes of a graph's arrays (what the cache counts against its bound)."""
    arrays = [graph.indptr, graph.followers, graph.is_leader]
    if graph.labels is not None:
        arrays.append(graph.labels)
    return sum(a.nbytes for a in arrays)


def freeze(graph: FollowerGraph) -> FollowerGraph:
    """Make the graph's arrays read-only, so no run can change what others share."""
    for array in (graph.indptr, graph.followers, graph.is_leader, graph.labels):
        if isinstance(array, np.ndarray):
            array.flags.writeable = False
    return graph


class GraphCache:
    """Built follower graphs by `graph_key`, least recently used dropped past `max_bytes`.

    A graph larger than `max_bytes` on its own is built and returned, not kept.
    `hits` and `misses` count lookups (for the benchmark and tests).
    """

    def __init__(self, max_bytes: int = GRAPH_CACHE_BYTES):
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be at least 0, got {max_bytes}")
        self.max_bytes = max_bytes
        self._graphs: OrderedDict[GraphKey, FollowerGraph] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._graphs)

    def get(self, key: GraphKey, build: Callable[[], FollowerGraph]) -> FollowerGraph:
        """The graph of `key`: the one kept, or `build()`'s (frozen, and kept if it fits)."""
        with self._lock:  # threads of one process (a thread pool as executor) share it
            graph = self._graphs.get(key)
            if graph is not None:
                self._graphs.move_to_end(key)
                self.hits += 1
                return graph
            self.misses += 1
        graph = freeze(build())  # built outside the lock: other keys need not wait
        size = graph_bytes(graph)
        with self._lock:
            if size <= self.max_bytes and key not in self._graphs:
                self._graphs[key] = graph
                self.bytes += size
                while self.bytes > self.max_bytes:
                    _, dropped = self._graphs.popitem(last=False)
                    self.bytes -= graph_bytes(dropped)
        return graph

    def clear(self) -> None:
        """Forget every graph kept (the counts of hits and misses too)."""
        with self._lock:
            self._graphs.clear()
            self.bytes = self.hits = self.misses = 0


WORKER_GRAPHS = GraphCache()  # this process's graphs, used by the experiment executors
