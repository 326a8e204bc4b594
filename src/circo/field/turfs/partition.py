"""Partition of sites into compact, balanced turfs (steps 2 to 4 of :mod:`circo.field.turfs`):
oversized buildings alone, recursive bisection along the principal axis through the widest gap,
then boundary moves, halvings and merges until every turf is within the caps."""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial import cKDTree

from circo.field.routing import FloatArray, IntArray, mst_length

CAP = 1.25  # a turf holds at most CAP × target doors (except a single oversized building)
FLOOR = 0.5  # and at least FLOOR × target (except one remainder turf per bureau)
_GAP_WINDOW = 0.10  # how far from the balanced cut a bisection may move to follow a gap
_NEIGHBOURS = 8  # sites linked to their nearest sites when moving boundary sites
_EXHAUSTIVE_SPLIT = 10  # an over-cap turf of at most this many buildings is split exhaustively


def cut_sites(xy: FloatArray, doors: IntArray, *, target: int) -> list[IntArray]:
    """Partition sites (positions ``xy`` in metres, shape (n, 2); ``doors``, shape (n,)) into turfs.

    Returns the turfs as arrays of site indices, in a spatially coherent order.
    """
    doors = np.asarray(doors, dtype=np.int64)
    oversized = np.flatnonzero(doors > CAP * target)
    rest = np.flatnonzero(doors <= CAP * target)
    parts: list[IntArray] = []
    if rest.size:
        total = int(doors[rest].sum())
        count = _turf_count(total, target)
        mean = total / count
        band = (
            max(FLOOR * target, (1 - _GAP_WINDOW) * mean),
            min(CAP * target, (1 + _GAP_WINDOW) * mean),
        )
        parts = _bisect(rest, count, xy, doors, band, target)
        parts = _repair(parts, xy, doors, target)
        parts = [piece for part in parts for piece in _split_if_over(part, xy, doors, target)]
        parts = _recut_with_neighbours(parts, xy, doors, target)
    return parts + [np.array([site]) for site in oversized]


def _turf_count(total: int, target: int) -> int:
    """The number of turfs whose mean size is closest to ``target`` within the caps."""
    if total < FLOOR * target:
        return 1
    low = max(1, math.floor(total / (CAP * target)))
    high = max(low, math.ceil(total / (FLOOR * target)))
    feasible = [k for k in range(low, high + 1) if FLOOR * target <= total / k <= CAP * target]
    return min(feasible or [1], key=lambda k: (abs(total / k - target), k))


def _bisect(
    sites: IntArray,
    count: int,
    xy: FloatArray,
    doors: IntArray,
    band: tuple[float, float],
    target: int,
) -> list[IntArray]:
    if count <= 1 or len(sites) <= 1:
        return [sites]
    left_count = count // 2
    right_count = count - left_count
    points = xy[sites]
    along = _principal_projection(points, doors[sites].astype(float))
    order = np.argsort(along, kind="stable")
    cumulative = np.cumsum(doors[sites][order])[:-1].astype(float)
    total = float(doors[sites].sum())
    right = total - cumulative
    gaps = np.diff(along[order])
    ideal = total * left_count / count
    cut = _choose_cut(cumulative, right, gaps, ideal, (left_count, right_count), band, target)
    left_sites, right_sites = sites[order[: cut + 1]], sites[order[cut + 1 :]]
    return _bisect(left_sites, left_count, xy, doors, band, target) + _bisect(
        right_sites, right_count, xy, doors, band, target
    )


def _principal_projection(points: FloatArray, weights: FloatArray) -> FloatArray:
    centre = np.average(points, axis=0, weights=weights)
    centred = points - centre
    covariance = (centred * weights[:, None]).T @ centred
    values, vectors = np.linalg.eigh(covariance)
    return centred @ vectors[:, int(np.argmax(values))]


def _choose_cut(
    left: FloatArray,
    right: FloatArray,
    gaps: FloatArray,
    ideal: float,
    counts: tuple[int, int],
    band: tuple[float, float],
    target: int,
) -> int:
    """Index of the last site on the left: the widest gap among balanced cuts."""
    left_count, right_count = counts
    low, high = band
    in_band = (
        (left >= left_count * low)
        & (left <= left_count * high)
        & (right >= right_count * low)
        & (right <= right_count * high)
    )
    deviation = np.abs(left - ideal)
    if in_band.any():
        candidates = np.flatnonzero(in_band)
        score = gaps[candidates] - 1e-6 * deviation[candidates]
        return int(candidates[np.argmax(score)])
    hard = (
        (left >= left_count * FLOOR * target)
        & (left <= left_count * CAP * target)
        & (right >= right_count * FLOOR * target)
        & (right <= right_count * CAP * target)
    )
    candidates = np.flatnonzero(hard) if hard.any() else np.arange(len(left))
    return int(candidates[np.argmin(deviation[candidates])])


def _repair(parts: list[IntArray], xy: FloatArray, doors: IntArray, target: int) -> list[IntArray]:
    """Move boundary sites between neighbouring turfs until sizes are within the caps."""
    sites = np.concatenate(parts)
    label = np.full(len(xy), -1, dtype=np.intp)
    for number, part in enumerate(parts):
        label[part] = number
    if len(parts) < 2:
        return parts
    neighbours = _neighbour_pairs(xy[sites])
    a, b = sites[neighbours[:, 0]], sites[neighbours[:, 1]]
    length = np.linalg.norm(xy[a] - xy[b], axis=1)
    cap, floor = CAP * target, FLOOR * target
    for _ in range(4 * len(sites)):
        size = np.bincount(label[sites], weights=doors[sites], minlength=len(parts)).astype(float)
        move = _best_move(label, size, a, b, length, doors, cap, floor)
        if move is None:
            break
        site, to = move
        label[site] = to
    kept = [np.sort(sites[label[sites] == number]) for number in range(len(parts))]
    return [part for part in kept if part.size]


def _split_if_over(part: IntArray, xy: FloatArray, doors: IntArray, target: int) -> list[IntArray]:
    """Halve a turf still over the cap (a few big buildings) when both halves reach the floor:
    the most compact such halving of a small turf, else the balanced cut across its axis."""
    floor, cap = FLOOR * target, CAP * target
    if doors[part].sum() <= cap or len(part) < 2:
        return [part]
    if len(part) <= _EXHAUSTIVE_SPLIT:
        best: tuple[float, list[IntArray]] = (np.inf, [part])
        for mask in range(1, 2 ** (len(part) - 1)):
            chosen = np.array([(mask >> bit) & 1 for bit in range(len(part))], dtype=bool)
            halves = [part[chosen], part[~chosen]]
            if all(floor <= doors[half].sum() <= cap for half in halves):
                length = sum(mst_length(xy[half]) for half in halves)
                if length < best[0]:
                    best = (length, halves)
        return best[1]
    return _halves(part, xy, doors, target) or [part]


def _halves(sites: IntArray, xy: FloatArray, doors: IntArray, target: int) -> list[IntArray]:
    """The most compact straight cut (12 directions) into two halves within the caps, or []."""
    floor, cap = FLOOR * target, CAP * target
    best: tuple[float, list[IntArray]] = (np.inf, [])
    for angle in np.linspace(0, np.pi, 12, endpoint=False):
        order = np.argsort(xy[sites] @ np.array([np.cos(angle), np.sin(angle)]), kind="stable")
        left = np.cumsum(doors[sites][order])[:-1]
        right = doors[sites].sum() - left
        feasible = np.flatnonzero(
            (left >= floor) & (left <= cap) & (right >= floor) & (right <= cap)
        )
        if feasible.size:
            cut = int(feasible[np.argmin(np.abs(left[feasible] - right[feasible]))])
            halves = [sites[order[: cut + 1]], sites[order[cut + 1 :]]]
            length = sum(mst_length(xy[half]) for half in halves)
            if length < best[0]:
                best = (length, halves)
    return best[1]


def _recut_with_neighbours(
    parts: list[IntArray], xy: FloatArray, doors: IntArray, target: int
) -> list[IntArray]:
    """Last resort for a turf still over the cap, or a second one under the floor: merge it
    with one of its nearest turfs and cut the pair again (or keep it whole if it fits)."""
    floor, cap = FLOOR * target, CAP * target
    parts = list(parts)
    stuck: set[int] = set()
    for _ in range(2 * len(parts)):
        sizes = np.array([doors[part].sum() for part in parts])
        under = np.flatnonzero(sizes < floor)
        extra_under = under[np.argsort(sizes[under])][1:] if under.size > 1 else under[:0]
        over = [i for i in np.flatnonzero(sizes > cap) if len(parts[i]) > 1]
        todo = [int(i) for i in [*over, *extra_under] if int(i) not in stuck]
        if not todo:
            break
        i = todo[0]
        centres = np.array([xy[part].mean(axis=0) for part in parts])
        distance = np.linalg.norm(centres - centres[i], axis=1)
        distance[i] = np.inf
        for j in np.argsort(distance)[:8]:
            union = np.concatenate([parts[i], parts[int(j)]])
            found = [union] if doors[union].sum() <= cap else _halves(union, xy, doors, target)
            if not found:
                continue
            pieces = found
            low, high = sorted((i, int(j)))
            parts = [*parts[:low], *pieces, *parts[low + 1 : high], *parts[high + 1 :]]
            stuck.clear()
            break
        else:
            stuck.add(i)
    return parts


def _neighbour_pairs(points: FloatArray) -> IntArray:
    """Both directions of each link between a site and its nearest sites, shape (m, 2)."""
    k = min(_NEIGHBOURS + 1, len(points))
    _, nearest = cKDTree(points).query(points, k=k)
    nearest = np.asarray(nearest).reshape(len(points), k)
    rows = np.repeat(np.arange(len(points)), k - 1)
    pairs = np.column_stack([rows, nearest[:, 1:].reshape(-1)])
    both = np.vstack([pairs, pairs[:, ::-1]])
    return np.unique(both, axis=0)


def _best_move(
    label: IntArray,
    size: FloatArray,
    a: IntArray,
    b: IntArray,
    length: FloatArray,
    doors: IntArray,
    cap: float,
    floor: float,
) -> tuple[int, int] | None:
    """The shortest link along which one site can leave a turf over the cap or join one under
    the floor, keeping the other side within the caps; ``None`` when sizes are fine or stuck."""
    over = size > cap
    under = size < floor
    needs = under.copy()
    if under.any():  # one turf may stay under the floor: the smallest, the remainder
        needs[np.flatnonzero(under)[np.argmin(size[under])]] = False
    if not over.any() and not needs.any():
        return None
    source, dest = label[a], label[b]
    moving = doors[a]
    fits = (source != dest) & (size[dest] + moving <= cap)
    tiers = (
        over[source] & fits,  # relieve a turf over the cap
        needs[dest] & fits & (size[source] - moving >= floor),  # fill one under the floor
        needs[source] & fits,  # else dissolve it into its neighbours
        # else push the excess to a smaller neighbour, which passes it on in turn
        over[source] & (source != dest) & ~over[dest] & (size[dest] + moving < size[source]),
    )
    for allowed in tiers:
        candidates = np.flatnonzero(allowed)
        if candidates.size:
            best = candidates[np.argmin(length[candidates])]
            return int(a[best]), int(dest[best])
    return None
