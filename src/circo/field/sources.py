"""Where the addresses of a turf plan come from: a CSV file, the REU addresses imported by the
elections domain, or the shipped sample (demo). Every source yields
`circo.field.turfs.plan.Address`.

The elections domain owns the REU points; this module only calls its service function
(``circo.elections.service.reu_addresses``) and says clearly when it is not available.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial import cKDTree
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.field.errors import SourceUnavailable, TurfFileError
from circo.field.turfs.inputs import read_addresses_csv
from circo.field.turfs.plan import Address, TurfInputError

SAMPLE_FILE = "reu_sample_29039.csv"
BAN_MATCH_M = 30.0  # a REU point takes the label of a BAN address at most this far


def addresses_from_csv(path: Path, *, bureau_column: str = "bureau") -> list[Address]:
    """Read an ``id,lat,lon[,dwellings][,bureau]`` file; bad input → `TurfFileError`."""
    try:
        return read_addresses_csv(path, bureau_column=bureau_column)
    except TurfInputError as exc:
        raise TurfFileError(exc.message, loc=exc.loc) from None


def sample_path() -> Path:
    """The shipped REU sample (3 bureaux of Concarneau, 29039; Licence Ouverte, see README)."""
    return Path(str(resources.files("circo") / "field" / "data" / SAMPLE_FILE))


def _elections_reader() -> Callable[..., Sequence[Any]] | None:
    for module_name, function_name in (
        ("circo.elections.service", "reu_addresses"),
        ("circo.elections.geography", "reu_addresses"),
    ):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        function = getattr(module, function_name, None)
        if callable(function):
            return function
    return None


def _field(row: Any, *names: str) -> Any:
    for name in names:
        if isinstance(row, dict) and name in row:
            return row[name]
        if hasattr(row, name):
            return getattr(row, name)
    return None


def reu_addresses(session: Session, *, station_keys: Sequence[str]) -> list[Address]:
    """REU address points of these bureaux (keys like ``29039_1``), from the elections domain."""
    reader = _elections_reader()
    if reader is None:
        raise SourceUnavailable(
            "les adresses REU ne sont pas disponibles dans cette version (service "
            "elections.reu_addresses absent) : utilisez --addresses FICHIER.csv "
            "(colonnes id,lat,lon[,dwellings][,bureau])",
            loc="--bureaux",
        )
    rows = reader(session, station_keys=list(station_keys))
    addresses = [
        Address(
            id=str(_field(row, "id", "address_id")),
            lat=float(_field(row, "lat", "latitude")),
            lon=float(_field(row, "lon", "longitude")),
            dwellings=max(1, int(_field(row, "dwellings", "address_count") or 1)),
            bureau=str(_field(row, "station_key", "bureau")),
        )
        for row in rows
    ]
    if not addresses:
        raise SourceUnavailable(
            f"aucune adresse REU pour les bureaux {', '.join(station_keys)} : importez le "
            "fichier REU (`circo elections import reu FICHIER.csv`) ou vérifiez les codes "
            "(ex. 29039_1)",
            loc="--bureaux",
        )
    return with_street_labels(session, addresses)


def with_street_labels(
    session: Session, addresses: list[Address], *, max_distance_m: float = BAN_MATCH_M
) -> list[Address]:
    """Give each REU point the street address of the nearest BAN address imported for its commune
    (`circo contacts geo-import --ban`, the offline geocoder's reference), within
    ``max_distance_m``; REU points carry no street, the walk lists then read as addresses."""
    from circo.crm.models import GeoAddress

    communes = sorted({a.bureau.split("_")[0] for a in addresses if a.bureau})
    rows = session.execute(
        select(GeoAddress.lat, GeoAddress.lon, GeoAddress.label, GeoAddress.street_key).where(
            GeoAddress.commune_code.in_(communes)
        )
    ).all()
    if not rows:
        return addresses
    lat0 = math.radians(sum(a.lat for a in addresses) / len(addresses))

    def metres(lat: float, lon: float) -> tuple[float, float]:
        return (lon * 111_320.0 * math.cos(lat0), lat * 110_574.0)

    tree = cKDTree(np.array([metres(r.lat, r.lon) for r in rows]))
    distances, nearest = tree.query(np.array([metres(a.lat, a.lon) for a in addresses]))
    labelled = []
    for address, distance, index in zip(
        addresses, distances.tolist(), nearest.tolist(), strict=True
    ):
        if distance <= max_distance_m:
            row = rows[index]
            address = replace(address, street=row.street_key, label=row.label)
        labelled.append(address)
    return labelled


def filter_bureaux(addresses: list[Address], bureaux: Sequence[str]) -> list[Address]:
    """Keep the addresses of the chosen bureaux (all of them when ``bureaux`` is empty)."""
    if not bureaux:
        return addresses
    wanted = set(bureaux)
    kept = [address for address in addresses if address.bureau in wanted]
    if not kept:
        found = sorted({str(address.bureau) for address in addresses})[:10]
        raise SourceUnavailable(
            f"aucune adresse pour les bureaux {', '.join(bureaux)} ; bureaux présents : "
            f"{', '.join(found)}",
            loc="--bureaux",
        )
    return kept
