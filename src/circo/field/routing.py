"""Geometry and walking routes at city scale: pure numpy/scipy, no database, no web.

Coordinates are projected to a local plane (equirectangular around a centre point: under 0.1 %
error over a few kilometres), lengths reported to people are haversine metres.
A walking route is an *open* path (the walker does not come back to the start): it is solved as
a closed tour through one extra "anywhere" node at zero cost from every address, then cut there,
so both ends are free. Construction is nearest neighbour from a few starts, improved by 2-opt and
Or-opt (moving runs of 1-3 stops, either way round) until neither finds a gain.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import minimum_spanning_tree
from scipy.spatial import Delaunay, QhullError
from scipy.spatial.distance import cdist, pdist, squareform

EARTH_RADIUS_M = 6_371_008.8
_DENSE_MST_LIMIT = 2_000
_EPS = 1e-9

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


def project(
    lat: FloatArray, lon: FloatArray, *, origin: tuple[float, float] | None = None
) -> FloatArray:
    """Local metric coordinates, shape (n, 2) as (east, north) metres around ``origin``.

    ``origin`` is ``(lat, lon)`` in degrees; by default the mean of the points.
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if origin is None:
        origin = (float(lat.mean()), float(lon.mean())) if lat.size else (0.0, 0.0)
    scale = np.pi / 180.0 * EARTH_RADIUS_M
    east = (lon - origin[1]) * scale * np.cos(np.radians(origin[0]))
    north = (lat - origin[0]) * scale
    return np.column_stack([east, north])


def haversine_path_m(lat: FloatArray, lon: FloatArray) -> float:
    """Length in metres of the straight-line path through the points in order (no return)."""
    lat_r = np.radians(np.asarray(lat, dtype=float))
    lon_r = np.radians(np.asarray(lon, dtype=float))
    if lat_r.size < 2:
        return 0.0
    dlat = np.diff(lat_r)
    dlon = np.diff(lon_r)
    h = np.sin(dlat / 2) ** 2 + np.cos(lat_r[:-1]) * np.cos(lat_r[1:]) * np.sin(dlon / 2) ** 2
    return float(np.sum(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))))


def path_length(xy: FloatArray) -> float:
    """Length of the open path through the rows of ``xy`` (shape (n, 2)) in order."""
    if len(xy) < 2:
        return 0.0
    return float(np.linalg.norm(np.diff(xy, axis=0), axis=1).sum())


def mst_length(xy: FloatArray) -> float:
    """Total length of the Euclidean minimum spanning tree of the points ``xy`` (shape (n, 2)).

    Points at the same place count once. Small sets use the full distance matrix, large ones the
    Delaunay triangulation (which contains the Euclidean MST).
    """
    unique = np.unique(np.asarray(xy, dtype=float), axis=0)
    if len(unique) < 2:
        return 0.0
    if len(unique) <= _DENSE_MST_LIMIT:
        graph = squareform(pdist(unique))
        return float(minimum_spanning_tree(graph).sum())
    try:
        simplices = Delaunay(unique).simplices
    except QhullError:
        simplices = Delaunay(unique, qhull_options="QJ").simplices
    edges = np.vstack([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
    edges = np.unique(np.sort(edges, axis=1), axis=0)
    weights = np.linalg.norm(unique[edges[:, 0]] - unique[edges[:, 1]], axis=1)
    graph = coo_matrix((weights, (edges[:, 0], edges[:, 1])), shape=(len(unique),) * 2)
    return float(minimum_spanning_tree(graph.tocsr()).sum())


def order_route(
    xy: FloatArray,
    *,
    streets: IntArray | None = None,
    street_penalty_m: float = 0.0,
    n_starts: int = 3,
    random_state: int = 0,
) -> IntArray:
    """Visiting order (indices into ``xy``, shape (n,)) of a short open walk through every point.

    ``streets`` (shape (n,), -1 where unknown) labels each point's street; stepping between two
    known, different streets costs ``street_penalty_m`` extra, so a street is finished before
    the next is started when that costs little walking.
    """
    n = len(xy)
    if n <= 2:
        return np.arange(n)
    cost = np.zeros((n + 1, n + 1))
    cost[:n, :n] = cdist(xy, xy)
    if streets is not None and street_penalty_m > 0:
        known = streets >= 0
        differ = (streets[:, None] != streets[None, :]) & known[:, None] & known[None, :]
        cost[:n, :n] += street_penalty_m * differ
    best_tour: IntArray | None = None
    best_cost = np.inf
    for start in _start_points(xy, n_starts, random_state):
        tour = np.concatenate([[n], _nearest_neighbour(cost[:n, :n], start)])
        _improve(tour, cost)
        total = float(cost[tour, np.roll(tour, -1)].sum())
        if total < best_cost - _EPS:
            best_tour, best_cost = tour, total
    assert best_tour is not None
    at = int(np.flatnonzero(best_tour == n)[0])
    return np.concatenate([best_tour[at + 1 :], best_tour[:at]]).astype(np.intp)


def _start_points(xy: FloatArray, n_starts: int, random_state: int) -> list[int]:
    """Both ends of the longest axis, then random points: distinct starts for nearest neighbour."""
    centred = xy - xy.mean(axis=0)
    axis = np.linalg.svd(centred, full_matrices=False)[2][0]
    along = centred @ axis
    starts = [int(np.argmin(along)), int(np.argmax(along))]
    rng = np.random.default_rng(random_state)
    others = [int(i) for i in rng.permutation(len(xy)) if i not in starts]
    return list(dict.fromkeys(starts + others))[: max(1, n_starts)]


def _nearest_neighbour(cost: FloatArray, start: int) -> IntArray:
    n = len(cost)
    visited = np.zeros(n, dtype=bool)
    order = np.empty(n, dtype=np.intp)
    current = start
    for step in range(n):
        order[step] = current
        visited[current] = True
        if step + 1 < n:
            row = np.where(visited, np.inf, cost[current])
            current = int(np.argmin(row))
    return order


def _improve(tour: IntArray, cost: FloatArray) -> None:
    """Best-improvement 2-opt, then Or-opt when 2-opt is stuck, in place on the closed ``tour``."""
    for _ in range(50 * len(tour)):
        if not (_two_opt_move(tour, cost) or _or_opt_move(tour, cost)):
            return


def _two_opt_move(tour: IntArray, cost: FloatArray) -> bool:
    """Apply the best 2-opt move (reverse ``tour[i+1 : j+1]``) if it shortens the tour."""
    size = len(tour)
    nxt = np.roll(tour, -1)
    edge = cost[tour, nxt]
    delta = cost[tour[:, None], tour[None, :]] + cost[nxt[:, None], nxt[None, :]]
    delta -= edge[:, None] + edge[None, :]
    i_idx, j_idx = np.indices((size, size))
    delta[(j_idx < i_idx + 2) | ((i_idx == 0) & (j_idx == size - 1))] = np.inf
    flat = int(np.argmin(delta))
    i, j = divmod(flat, size)
    if not delta[i, j] < -_EPS:
        return False
    tour[i + 1 : j + 1] = tour[i + 1 : j + 1][::-1].copy()
    return True


def _or_opt_move(tour: IntArray, cost: FloatArray) -> bool:
    """Apply the best move of a run of 1-3 stops elsewhere, either way round, if it helps."""
    size = len(tour)
    positions = np.arange(size)
    best = (-_EPS, 0, 0, 0, False)  # (delta, run, start, insert-after position, reversed)
    for run in (1, 2, 3):
        if run > size - 3:
            break
        first = tour
        last = tour[(positions + run - 1) % size]
        prev = tour[(positions - 1) % size]
        after = tour[(positions + run) % size]
        gain = cost[prev, first] + cost[last, after] - cost[prev, after]
        left, right = tour, np.roll(tour, -1)
        base = cost[left, right]
        forward = cost[left[None, :], first[:, None]] + cost[last[:, None], right[None, :]] - base
        backward = cost[left[None, :], last[:, None]] + cost[first[:, None], right[None, :]] - base
        # an insertion edge (j, j+1) must lie outside positions start-1 .. start+run-1
        offset = (positions[None, :] - positions[:, None] + 1) % size
        invalid = offset <= run
        for flipped, added in ((False, forward), (True, backward)):
            delta = np.where(invalid, np.inf, added - gain[:, None])
            flat = int(np.argmin(delta))
            start, at = divmod(flat, size)
            if delta[start, at] < best[0]:
                best = (float(delta[start, at]), run, start, at, flipped)
    _, run, start, at, flipped = best
    if run == 0:
        return False
    segment = tour[(start + np.arange(run)) % size]
    rest = tour[(start + run + np.arange(size - run)) % size]
    anchor = int(np.flatnonzero(rest == tour[at])[0])
    moved = segment[::-1] if flipped else segment
    tour[:] = np.concatenate([rest[: anchor + 1], moved, rest[anchor + 1 :]])
    return True
