"""Cut addresses into compact, balanced canvassing turfs, each with a walking route.

Pure library (numpy/scipy and the standard library): no database, no web.

How a bureau is cut
-------------------
1. Addresses at the same point are one *site* (a building): a site is never split, and its
   doors are the sum of its addresses' dwellings.
2. A site with more doors than ``1.25 × doors_per_turf`` is a turf of its own (a large
   residence cannot be shared between volunteers without splitting the building, which the
   data cannot do: this is the one documented exception to the size cap).
3. The other sites are cut into ``k`` turfs, ``k`` chosen so the mean turf is as close to the
   target as the caps allow, by recursive bisection: each region is split across its longest
   (principal) axis at the weighted quantile that gives each side its share of turfs. Within
   ±10 % of that quantile the cut goes through the widest empty gap along the axis, so cuts
   follow streets and open spaces rather than run through a block.
4. A repair pass, borrowed from the ``turf-tools`` autocut "trade" step, moves single boundary
   sites between neighbouring turfs (neighbours in the k-nearest-site graph) until every turf
   is within ``[0.5, 1.25] × target``: one turf under the floor per bureau (the remainder)
   is allowed. A turf still over the cap (a few big buildings that no neighbour can take) is
   halved, or merged with a nearby turf and the pair cut again, in the most compact way.
5. Each turf is ordered into an open walking route over its sites (nearest neighbour + 2-opt +
   Or-opt, see :mod:`circo.field.routing`); addresses of a site stay together, and where
   addresses have a ``street`` a small penalty per change of street keeps streets together.

Compactness is measured, not assumed: :func:`compactness_ratio` (sum of the turfs' minimum
spanning trees over the bureaux' ones; interleaved strips score about 2) and
:func:`route_to_mst_ratio` (route length over the turf's spanning tree).
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from scipy.spatial import cKDTree

from circo.field.routing import (
    FloatArray,
    IntArray,
    haversine_path_m,
    mst_length,
    order_route,
    path_length,
    project,
)

CAP = 1.25  # a turf holds at most CAP × target doors (except a single oversized building)
FLOOR = 0.5  # and at least FLOOR × target (except one remainder turf per bureau)
_GAP_WINDOW = 0.10  # how far from the balanced cut a bisection may move to follow a gap
_NEIGHBOURS = 8  # sites linked to their nearest sites when moving boundary sites
_EXHAUSTIVE_SPLIT = 10  # an over-cap turf of at most this many buildings is split exhaustively
_STREET_DETOUR = 1.10  # keeping streets together may lengthen a route by at most 10 %


class TurfInputError(ValueError):
    """Bad input for turf cutting: says what was received, what was expected, and where."""

    def __init__(self, message: str, *, loc: str | None = None) -> None:
        super().__init__(f"{loc}: {message}" if loc else message)
        self.message = message
        self.loc = loc


@dataclass(frozen=True, slots=True)
class Address:
    """One address point: ``dwellings`` doors at (``lat``, ``lon``) in WGS84 degrees."""

    id: str
    lat: float
    lon: float
    dwellings: int = 1
    bureau: str | None = None
    street: str | None = None


@dataclass(frozen=True, slots=True)
class Turf:
    """A turf: its addresses in walking order, its doors and the length of its walk."""

    id: str
    bureau: str | None
    addresses: tuple[Address, ...]
    doors: int
    walk_m: float

    @property
    def address_ids(self) -> list[str]:
        return [address.id for address in self.addresses]


@dataclass(frozen=True, slots=True)
class TurfPlan:
    """The result of :func:`cut_turfs`."""

    turfs: tuple[Turf, ...]
    unassigned: tuple[str, ...]
    doors_per_turf: int
    mix_bureaux: bool = False

    def summary(self) -> dict[str, float]:
        doors = [turf.doors for turf in self.turfs]
        return {
            "turfs": len(self.turfs),
            "doors": float(sum(doors)),
            "min_doors": float(min(doors, default=0)),
            "max_doors": float(max(doors, default=0)),
            "walk_km": sum(turf.walk_m for turf in self.turfs) / 1000,
            "unassigned": len(self.unassigned),
        }


# --------------------------------------------------------------------------- cutting


def cut_turfs(
    addresses: Iterable[Address],
    *,
    doors_per_turf: int = 50,
    mix_bureaux: bool = False,
    random_state: int = 0,
) -> TurfPlan:
    """Cut ``addresses`` into turfs of about ``doors_per_turf`` doors, each with its route.

    Turfs never mix two bureaux unless ``mix_bureaux`` is true (then a turf's ``bureau`` is
    its bureau if all its addresses share one, else ``None``). Addresses whose coordinates are
    missing or out of range are listed in ``unassigned``.
    """
    if isinstance(doors_per_turf, bool) or not isinstance(doors_per_turf, int):
        raise TurfInputError(
            f"doors_per_turf must be a whole number such as 50, got {doors_per_turf!r}"
        )
    if doors_per_turf < 1:
        raise TurfInputError(f"doors_per_turf must be at least 1 (e.g. 50), got {doors_per_turf}")
    placed, unassigned = _validate(list(addresses))
    groups: dict[str | None, list[Address]] = defaultdict(list)
    for address in placed:
        groups[None if mix_bureaux else address.bureau].append(address)
    turfs: list[Turf] = []
    for bureau in sorted(groups, key=_natural_key):
        turfs.extend(_cut_group(groups[bureau], doors_per_turf, bureau, random_state))
    return TurfPlan(tuple(turfs), tuple(unassigned), doors_per_turf, mix_bureaux)


def _validate(addresses: list[Address]) -> tuple[list[Address], list[str]]:
    seen: set[str] = set()
    placed: list[Address] = []
    unassigned: list[str] = []
    for position, address in enumerate(addresses):
        where = f"address {position + 1} (id {address.id!r})"
        if address.id in seen:
            raise TurfInputError(
                f"duplicate id {address.id!r}; each address needs its own id", loc=where
            )
        seen.add(address.id)
        dwellings = address.dwellings
        if isinstance(dwellings, bool) or not isinstance(dwellings, int) or dwellings < 1:
            raise TurfInputError(
                f"dwellings must be a whole number ≥ 1 such as 4, got {dwellings!r}", loc=where
            )
        if _valid_point(address.lat, address.lon):
            placed.append(address)
        else:
            unassigned.append(address.id)
    return placed, unassigned


def _valid_point(lat: object, lon: object) -> bool:
    if not isinstance(lat, int | float) or not isinstance(lon, int | float):
        return False
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def _natural_key(bureau: str | None) -> tuple[int, list[tuple[int, int | str]]]:
    if bureau is None:
        return (1, [])
    parts = re.split(r"(\d+)", bureau)
    return (0, [(0, int(part)) if part.isdigit() else (1, part) for part in parts if part])


def _cut_group(
    addresses: list[Address], target: int, bureau: str | None, random_state: int
) -> list[Turf]:
    lat = np.array([address.lat for address in addresses])
    lon = np.array([address.lon for address in addresses])
    keys = np.round(np.column_stack([lat, lon]), 7)
    _, site_of, first = _unique_rows(keys)
    xy_sites = project(lat[first], lon[first])
    doors = np.bincount(site_of, weights=[a.dwellings for a in addresses]).astype(np.int64)
    members: list[list[int]] = [[] for _ in range(len(first))]
    for index, site in enumerate(site_of):
        members[site].append(index)
    parts = cut_sites(xy_sites, doors, target=target)
    streets = _site_streets(addresses, members)
    prefix = f"{bureau}-" if bureau is not None else "T"
    width = max(2 if bureau is not None else 3, len(str(len(parts))))
    turfs = []
    for number, part in enumerate(parts, start=1):
        order = _route_sites(xy_sites[part], streets[part], random_state)
        ordered = [
            addresses[i] for site in part[order] for i in _sorted_members(addresses, members[site])
        ]
        turf_bureaux = {address.bureau for address in ordered}
        turfs.append(
            Turf(
                id=f"{prefix}{number:0{width}d}",
                bureau=turf_bureaux.pop() if len(turf_bureaux) == 1 else None,
                addresses=tuple(ordered),
                doors=int(doors[part].sum()),
                walk_m=haversine_path_m(
                    np.array([a.lat for a in ordered]), np.array([a.lon for a in ordered])
                ),
            )
        )
    return turfs


def _unique_rows(keys: FloatArray) -> tuple[FloatArray, IntArray, IntArray]:
    unique, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    return unique, inverse.reshape(-1), first


def _sorted_members(addresses: list[Address], indices: list[int]) -> list[int]:
    """Addresses of one building: by street, then in input order."""
    return sorted(indices, key=lambda i: (addresses[i].street or "", i))


def _site_streets(addresses: list[Address], members: list[list[int]]) -> IntArray:
    """Each site's most common street as a small integer, -1 where no address has a street."""
    codes: dict[str, int] = {}
    labels = np.full(len(members), -1, dtype=np.intp)
    for site, indices in enumerate(members):
        named = Counter(street for i in indices if (street := addresses[i].street))
        if named:
            street = named.most_common(1)[0][0]
            labels[site] = codes.setdefault(street, len(codes))
    return labels


def _route_sites(xy: FloatArray, streets: IntArray, random_state: int) -> IntArray:
    """The shortest route found; where streets are known, the route that finishes each street
    before the next instead, when it walks at most ``_STREET_DETOUR`` further."""
    shortest = order_route(xy, random_state=random_state)
    if len(xy) <= 2 or not (streets >= 0).any():
        return shortest
    nearest = cKDTree(xy).query(xy, k=2)[0][:, 1]
    penalty = float(np.clip(2 * np.median(nearest), 5.0, 40.0))
    by_street = order_route(
        xy, streets=streets, street_penalty_m=penalty, random_state=random_state
    )
    if path_length(xy[by_street]) <= _STREET_DETOUR * path_length(xy[shortest]):
        return by_street
    return shortest


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


# --------------------------------------------------------------------------- output and metrics


def plan_to_json(plan: TurfPlan) -> dict[str, object]:
    """The CLI's ``--json`` shape: turfs with address ids in walking order, and unassigned ids."""
    return {
        "turfs": [
            {
                "id": turf.id,
                "bureau": turf.bureau,
                "address_ids": turf.address_ids,
                "doors": turf.doors,
                "walk_m": round(turf.walk_m, 1),
            }
            for turf in plan.turfs
        ],
        "unassigned": list(plan.unassigned),
    }


def _xy(addresses: Sequence[Address]) -> FloatArray:
    return project(np.array([a.lat for a in addresses]), np.array([a.lon for a in addresses]))


def compactness_ratio(plan: TurfPlan) -> float:
    """Sum of the turfs' minimum spanning trees over the sum of their bureaux' ones.

    A compact cut scores at most about 1 (cutting removes the links between turfs); turfs made
    of interleaved strips score about 2. Returns 1.0 when the bureaux have no length.
    """
    by_bureau: dict[str | None, list[Address]] = defaultdict(list)
    for turf in plan.turfs:
        for address in turf.addresses:
            by_bureau[address.bureau].append(address)
    bureaux = sum(mst_length(_xy(group)) for group in by_bureau.values())
    turfs = sum(mst_length(_xy(turf.addresses)) for turf in plan.turfs)
    return turfs / bureaux if bureaux > 0 else 1.0


def route_to_mst_ratio(turf: Turf) -> float:
    """Length of the turf's route over its minimum spanning tree (1.0 for a single point)."""
    xy = _xy(turf.addresses)
    tree = mst_length(xy)
    return path_length(xy) / tree if tree > 0 else 1.0


# --------------------------------------------------------------------------- map sketch


def turf_svg(turf: Turf, *, size: int = 480, margin: int = 28) -> str:
    """A small SVG sketch of a turf: the route as a polyline, each stop (building) numbered.

    North is up; a scale bar gives metres. Used by the printable walk list.
    """
    sites: list[tuple[float, float]] = []
    for address in turf.addresses:
        point = (address.lat, address.lon)
        if not sites or sites[-1] != point:
            sites.append(point)
    xy = project(np.array([s[0] for s in sites]), np.array([s[1] for s in sites]))
    span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 1.0))
    scale = (size - 2 * margin) / span
    px = margin + (xy[:, 0] - xy[:, 0].min()) * scale
    py = size - margin - (xy[:, 1] - xy[:, 1].min()) * scale
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(px, py, strict=True))
    bar_m = _round_length(span / 4)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 {size} {size}" role="img" aria-label="{escape(turf.id)}">',
        f"<title>{escape(turf.id)}: {turf.doors} doors, {turf.walk_m:.0f} m</title>",
        f'<rect width="{size}" height="{size}" fill="#fff"/>',
        f'<polyline points="{points}" fill="none" stroke="#2563eb" stroke-width="2"/>',
    ]
    for number, (x, y) in enumerate(zip(px, py, strict=True), start=1):
        colour = "#16a34a" if number == 1 else "#111"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>')
        parts.append(
            f'<text x="{x + 5:.1f}" y="{y - 5:.1f}" font-size="11" font-family="sans-serif">'
            f"{number}</text>"
        )
    bar_px = bar_m * scale
    parts.append(
        f'<line x1="{margin}" y1="{size - 10}" x2="{margin + bar_px:.1f}" y2="{size - 10}" '
        'stroke="#111" stroke-width="2"/>'
    )
    parts.append(
        f'<text x="{margin + bar_px + 4:.1f}" y="{size - 6}" font-size="10" '
        f'font-family="sans-serif">{bar_m:g} m</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def _round_length(metres: float) -> float:
    """1, 2 or 5 × a power of ten, at most ``metres`` (at least 1)."""
    if metres < 1:
        return 1.0
    power = 10 ** math.floor(math.log10(metres))
    return float(max(step * power for step in (1, 2, 5) if step * power <= metres))


# --------------------------------------------------------------------------- CSV input

_EXAMPLE_HEADER = "id,lat,lon,dwellings,bureau"


def read_addresses_csv(
    path: str | PathLike[str], *, bureau_column: str = "bureau"
) -> list[Address]:
    """Read ``id,lat,lon[,dwellings][,bureau][,street]`` rows (``,`` or ``;``, UTF-8 with or
    without BOM). Raise :class:`TurfInputError` naming the file, line and column of bad input.

    With ``;`` as separator a decimal comma is accepted (``48,117``). A missing ``bureau``
    column means no bureaux; a different ``bureau_column`` must exist.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TurfInputError(
            f"not UTF-8 text (byte {exc.start}); save the file as UTF-8", loc=str(path)
        ) from exc
    except OSError as exc:
        raise TurfInputError(f"cannot read the file ({exc.strerror})", loc=str(path)) from exc
    if not text.strip():
        raise TurfInputError(
            f"the file is empty; expected a header such as {_EXAMPLE_HEADER!r}", loc=str(path)
        )
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [name.strip() for name in next(reader)]
    columns = _header_columns(header, path, bureau_column)
    addresses: list[Address] = []
    first_seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise TurfInputError(
                f"expected {len(header)} fields separated by {delimiter!r} as in the header, "
                f"got {len(row)}",
                loc=f"{path}, line {line}",
            )
        address = _parse_row(row, columns, delimiter, f"{path}, line {line}")
        if address.id in first_seen:
            raise TurfInputError(
                f"duplicate id {address.id!r} (first on line {first_seen[address.id]}); "
                "ids must be unique",
                loc=f"{path}, line {line}, column 'id'",
            )
        first_seen[address.id] = line
        addresses.append(address)
    return addresses


def _header_columns(header: list[str], path: Path, bureau_column: str) -> dict[str, int]:
    lowered = [name.lower() for name in header]
    duplicated = sorted({name for name in lowered if lowered.count(name) > 1})
    if duplicated:
        raise TurfInputError(
            f"column {duplicated[0]!r} appears twice in the header", loc=f"{path}, line 1"
        )
    wanted = {"id": "id", "lat": "lat", "lon": "lon", "dwellings": "dwellings", "street": "street"}
    wanted["bureau"] = bureau_column.lower()
    columns = {key: lowered.index(name) for key, name in wanted.items() if name in lowered}
    required = ["id", "lat", "lon"] + (["bureau"] if bureau_column != "bureau" else [])
    for key in required:
        if key not in columns:
            raise TurfInputError(
                f"missing column {wanted[key]!r}; found {', '.join(header) or 'nothing'}; "
                f"expected a header such as {_EXAMPLE_HEADER!r}",
                loc=f"{path}, line 1",
            )
    return columns


def _parse_row(row: list[str], columns: dict[str, int], delimiter: str, where: str) -> Address:
    def cell(key: str) -> str:
        return row[columns[key]].strip() if key in columns else ""

    identifier = cell("id")
    if not identifier:
        raise TurfInputError(
            "empty id; every address needs an id such as 'A12'", loc=f"{where}, column 'id'"
        )
    lat = _parse_coordinate(cell("lat"), "lat", 90.0, "48.1173", delimiter, where)
    lon = _parse_coordinate(cell("lon"), "lon", 180.0, "-1.6778", delimiter, where)
    dwellings = 1
    if cell("dwellings"):
        raw = cell("dwellings")
        if not raw.isdigit() or int(raw) < 1:
            raise TurfInputError(
                f"dwellings must be a whole number ≥ 1 such as 4, got {raw!r}",
                loc=f"{where}, column 'dwellings'",
            )
        dwellings = int(raw)
    return Address(identifier, lat, lon, dwellings, cell("bureau") or None, cell("street") or None)


def _parse_coordinate(
    raw: str, name: str, bound: float, example: str, delimiter: str, where: str
) -> float:
    loc = f"{where}, column {name!r}"
    text = raw.replace(",", ".") if delimiter == ";" else raw
    try:
        value = float(text)
    except ValueError:
        got = repr(raw) if raw else "an empty cell"
        raise TurfInputError(
            f"{name} must be a number in degrees such as {example}, got {got}", loc=loc
        ) from None
    if not math.isfinite(value) or not -bound <= value <= bound:
        raise TurfInputError(
            f"{name} must be between {-bound:g} and {bound:g} degrees, got {raw!r}", loc=loc
        )
    return value


# --------------------------------------------------------------------------- synthetic town


def synthetic_addresses(
    n_addresses: int,
    *,
    n_bureaux: int,
    random_state: int = 0,
    centre: tuple[float, float] = (48.1113, -1.6800),
) -> list[Address]:
    """A seeded synthetic town for tests, benchmarks and demos.

    Streets on a jittered, slightly rotated grid (blocks of 70-160 m, some street segments
    missing, some blocks parks); buildings on both sides every 8-25 m with 1 dwelling (houses)
    up to 80 (large residences), about 4 on average; a few buildings listed as several addresses
    at one point; bureaux are contiguous (Voronoi cells of random seeds).
    """
    rng = np.random.default_rng(random_state)
    side = math.ceil(math.sqrt(n_addresses / 26)) + 2  # about 30 addresses around each block
    xs = np.cumsum(rng.uniform(70, 160, side))
    ys = np.cumsum(rng.uniform(70, 160, side))
    points: list[tuple[float, float, str]] = []
    for horizontal, lines, cross in ((True, ys, xs), (False, xs, ys)):
        for number, position in enumerate(lines):
            name = f"{'Rue' if horizontal else 'Avenue'} {number + 1}"
            for start, end in itertools.pairwise(cross):
                if rng.random() < 0.08:  # a missing segment: a park or a railway
                    continue
                along = np.arange(start + 10, end - 10, rng.uniform(8, 25))
                for offset in (-9.0, 9.0):
                    for t in along:
                        x, y = (t, position + offset) if horizontal else (position + offset, t)
                        points.append((x, y, name))
    chosen = np.sort(rng.choice(len(points), size=min(n_addresses, len(points)), replace=False))
    xy = np.array([points[i][:2] for i in chosen]) - np.array([xs.mean(), ys.mean()])
    angle = rng.uniform(0, np.pi / 6)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    xy = xy @ rotation.T
    duplicates = rng.random(len(xy)) < 0.05  # same building, another entrance number
    xy[duplicates] = xy[np.maximum(np.flatnonzero(duplicates) - 1, 0)]
    seeds = xy[rng.choice(len(xy), size=n_bureaux, replace=False)]
    bureau = cKDTree(seeds).query(xy)[1]
    kind = rng.random(len(xy))
    dwellings = np.where(
        kind < 0.62,
        1,
        np.where(kind < 0.88, rng.integers(2, 8, len(xy)), rng.integers(8, 24, len(xy))),
    )
    dwellings[rng.random(len(xy)) < 0.004] = 80
    lat = centre[0] + xy[:, 1] / 111_195.0
    lon = centre[1] + xy[:, 0] / (111_195.0 * math.cos(math.radians(centre[0])))
    return [
        Address(
            id=f"A{index:06d}",
            lat=round(float(lat[index]), 7),
            lon=round(float(lon[index]), 7),
            dwellings=int(dwellings[index]),
            bureau=f"B{bureau[index] + 1:02d}",
            street=points[chosen[index]][2],
        )
        for index in range(len(xy))
    ]
