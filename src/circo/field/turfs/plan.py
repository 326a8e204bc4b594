"""Turf cutting, bureau by bureau: the input and result types, the grouping of addresses into
sites (buildings), and each turf's walking route. The partition itself is
:func:`circo.field.turfs.partition.cut_sites`. Pure library: no database, no web."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from circo.field.routing import (
    FloatArray,
    IntArray,
    haversine_path_m,
    order_route,
    path_length,
    project,
)
from circo.field.turfs.partition import cut_sites

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
    label: str | None = None  # the address as people read it ("12 rue Vauban 29900 Concarneau")


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
