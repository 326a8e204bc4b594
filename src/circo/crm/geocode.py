"""Geocoding of contacts' addresses and their bureau de vote.

Offline by default: the user imports the BAN (Base Adresse Nationale) CSV of their département
(``adresses-69.csv``) and the REU "bureaux de vote et adresses de leurs électeurs" points; an
address is matched on (postal code, street, number), and its bureau is that of the nearest REU
point of the same commune. The public BAN API is called only when ``geocoding_online`` is on.
"""

from __future__ import annotations

import csv
import io
import math
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from scipy.spatial import cKDTree
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.netguard import leave_transaction
from circo.core.tenancy import CampaignContext
from circo.crm import normalise
from circo.crm.errors import ImportFileError
from circo.crm.models import Contact, GeoAddress, StationPoint

BAN_API = "https://api-adresse.data.gouv.fr/search/"
CHUNK = 5000


def _open_csv(path: Path) -> csv.DictReader[str]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError(f"fichier illisible ou non UTF-8 : {exc}", loc=str(path)) from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return csv.DictReader(io.StringIO(text), delimiter=delimiter)


def import_ban(session: Session, path: Path) -> int:
    """Load a BAN addresses CSV (columns numero, rep, nom_voie, code_postal, code_insee, lon, lat);
    replaces the points of the communes it covers."""
    reader = _open_csv(path)
    needed = {"numero", "nom_voie", "code_postal", "code_insee", "lon", "lat"}
    missing = needed - set(reader.fieldnames or [])
    if missing:
        raise ImportFileError(
            f"colonnes BAN absentes : {', '.join(sorted(missing))} (attendu le fichier "
            "adresses-XX.csv de adresse.data.gouv.fr)",
            loc=str(path),
        )
    rows = []
    for line, record in enumerate(reader, start=2):
        try:
            lat, lon = float(record["lat"]), float(record["lon"])
        except ValueError:
            raise ImportFileError(
                "coordonnées invalides", loc=f"{path.name}, ligne {line}"
            ) from None
        number = (record["numero"] or "") + (record.get("rep") or "").lower()
        label = (
            f"{number} {record['nom_voie']} {record['code_postal']} {record.get('nom_commune', '')}"
        )
        rows.append(
            {
                "commune_code": record["code_insee"],
                "postal_code": record["code_postal"],
                "street_key": normalise.street_key(record["nom_voie"]),
                "number": normalise.fold(number).replace(" ", ""),
                "label": label.strip()[:300],
                "lat": lat,
                "lon": lon,
            }
        )
    communes = sorted({row["commune_code"] for row in rows})
    session.execute(delete(GeoAddress).where(GeoAddress.commune_code.in_(communes)))
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(GeoAddress), rows[start : start + CHUNK])
    session.flush()
    return len(rows)


def station_key(commune_code: str, raw: str) -> str:
    """National bureau key "29039_0001" from a raw REU id "29039_1" or a bureau code."""
    code = raw.split("_", 1)[1] if "_" in raw else raw
    code = code.strip()
    return f"{commune_code}_{code.zfill(4) if code.isdigit() else code.upper()}"


def import_station_points(session: Session, path: Path) -> int:
    """Load REU address points (id_brut_bv_reu, code_commune_ref, longitude, latitude)."""
    reader = _open_csv(path)
    needed = {"id_brut_bv_reu", "code_commune_ref", "longitude", "latitude"}
    missing = needed - set(reader.fieldnames or [])
    if missing:
        raise ImportFileError(
            f"colonnes REU absentes : {', '.join(sorted(missing))} (attendu le fichier « "
            "bureaux de vote et adresses de leurs électeurs » de l'INSEE)",
            loc=str(path),
        )
    rows = []
    for record in reader:
        commune = record["code_commune_ref"]
        rows.append(
            {
                "commune_code": commune,
                "polling_station": station_key(commune, record["id_brut_bv_reu"]),
                "lat": float(record["latitude"]),
                "lon": float(record["longitude"]),
            }
        )
    communes = sorted({row["commune_code"] for row in rows})
    session.execute(delete(StationPoint).where(StationPoint.commune_code.in_(communes)))
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(StationPoint), rows[start : start + CHUNK])
    session.flush()
    return len(rows)


@dataclass
class GeocodeReport:
    considered: int = 0
    geocoded: int = 0
    stations: int = 0
    online: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class _StationIndex:
    """Nearest REU point per commune (equirectangular projection, fine at commune scale)."""

    def __init__(self, session: Session, communes: set[str]) -> None:
        self.trees: dict[str, tuple[cKDTree, list[str], float]] = {}
        points: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
        if communes:
            for commune, station, lat, lon in session.execute(
                select(
                    StationPoint.commune_code,
                    StationPoint.polling_station,
                    StationPoint.lat,
                    StationPoint.lon,
                ).where(StationPoint.commune_code.in_(sorted(communes)))
            ):
                points[commune].append((lat, lon, station))
        for commune, items in _reu_points(session, communes - set(points)).items():
            points[commune].extend(items)
        for commune, items in points.items():
            scale = math.cos(math.radians(items[0][0]))
            coords = np.array([(lat, lon * scale) for lat, lon, _s in items])
            self.trees[commune] = (cKDTree(coords), [s for _lat, _lon, s in items], scale)

    def nearest(self, commune: str | None, lat: float, lon: float) -> str | None:
        if commune is None or commune not in self.trees:
            return None
        tree, stations, scale = self.trees[commune]
        _distance, index = tree.query((lat, lon * scale))
        return stations[int(index)]


def _reu_points(session: Session, communes: set[str]) -> dict[str, list[tuple[float, float, str]]]:
    """The REU addresses already imported for the territory (`circo import reu`, elections
    domain, Lambert-93), for communes with no REU point loaded here: one source, not two."""
    if not communes:
        return {}
    from pyproj import Transformer

    from circo.elections.models import ReuAddress

    rows = session.execute(
        select(ReuAddress.commune_code, ReuAddress.station_key, ReuAddress.x, ReuAddress.y).where(
            ReuAddress.commune_code.in_(sorted(communes))
        )
    ).all()
    if not rows:
        return {}
    to_wgs84 = Transformer.from_crs(2154, 4326, always_xy=True)
    lons, lats = to_wgs84.transform([row.x for row in rows], [row.y for row in rows])
    found: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for row, lon, lat in zip(rows, lons, lats, strict=True):
        found[row.commune_code].append((float(lat), float(lon), row.station_key))
    return found


def _lookup(session: Session, postal_code: str, address_line: str) -> GeoAddress | None:
    number, street = normalise.split_number(address_line)
    candidates = list(
        session.scalars(
            select(GeoAddress).where(
                GeoAddress.postal_code == postal_code, GeoAddress.street_key == street
            )
        )
    )
    if not candidates:
        streets = sorted(
            set(
                session.scalars(
                    select(GeoAddress.street_key).where(GeoAddress.postal_code == postal_code)
                )
            )
        )
        best = process.extractOne(street, streets, scorer=fuzz.ratio, score_cutoff=88)
        if best is None:
            return None
        candidates = list(
            session.scalars(
                select(GeoAddress).where(
                    GeoAddress.postal_code == postal_code, GeoAddress.street_key == best[0]
                )
            )
        )
    exact = [point for point in candidates if point.number == number]
    if exact:
        return exact[0]
    return candidates[len(candidates) // 2]  # somewhere on the street: good enough for a bureau


def _online(
    settings: Settings, address_line: str, postal_code: str
) -> tuple[float, float, str | None] | None:
    import httpx

    response = httpx.get(
        BAN_API, params={"q": address_line, "postcode": postal_code, "limit": 1}, timeout=10
    )
    response.raise_for_status()
    features = response.json().get("features") or []
    if not features:
        return None
    lon, lat = features[0]["geometry"]["coordinates"]
    return float(lat), float(lon), features[0]["properties"].get("citycode")


AddressKey = tuple[str, str]  # (postal code, address line) as the contact holds them
Location = tuple[float, float, str | None]  # lat, lon, commune code


def locate_addresses(
    session: Session,
    settings: Settings,
    keys: list[AddressKey],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[AddressKey, Location], int]:
    """Where these addresses are: the offline BAN reference first (reads), then — only when
    ``geocoding_online`` is on — the public BAN API for the rest, called with **no transaction
    open** (what the session read so far is ended first; nothing must be written before).
    Returns the locations found and how many came from the API."""
    found: dict[AddressKey, Location] = {}
    missing: list[AddressKey] = []
    for index, key in enumerate(keys):
        postal_code, address_line = key
        point = _lookup(session, postal_code, address_line)
        if point is not None:
            found[key] = (point.lat, point.lon, point.commune_code)
        else:
            missing.append(key)
        if progress and index % 200 == 0:
            progress(index, len(keys))
    online = 0
    if missing and settings.geocoding_online:
        # End the read so that no transaction stays open while the public API answers (it
        # would hold SQLite's write lock or a PostgreSQL connection).
        leave_transaction(session)
        for key in missing:
            postal_code, address_line = key
            result = _online(settings, address_line, postal_code)
            if result is not None:
                online += 1
                found[key] = result
    return found, online


def apply_locations(
    session: Session, contacts: list[Contact], found: dict[AddressKey, Location]
) -> GeocodeReport:
    """Give each contact its point, commune and bureau de vote (nearest REU point of its
    commune) from ``found``; ``considered`` counts the contacts with an address."""
    report = GeocodeReport(considered=len(contacts))
    located = [(contact, found[_key(contact)]) for contact in contacts if _key(contact) in found]
    stations = _StationIndex(session, {where[2] for _c, where in located if where[2]})
    for contact, (lat, lon, commune) in located:
        contact.lat, contact.lon = lat, lon
        contact.commune_code = contact.commune_code or commune
        station = stations.nearest(contact.commune_code, lat, lon)
        if station:
            contact.polling_station = station
            report.stations += 1
        report.geocoded += 1
    session.flush()
    return report


def _key(contact: Contact) -> AddressKey:
    return (contact.postal_code or "", contact.address_line or "")


def geocode_contacts(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    only_missing: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> GeocodeReport:
    """Coordinates, commune code and bureau de vote for the campaign's contacts."""
    query = ctx.scoped(select(Contact), Contact).where(
        Contact.address_line.is_not(None), Contact.postal_code.is_not(None)
    )
    if only_missing:
        query = query.where(Contact.lat.is_(None))
    contacts = list(session.scalars(query))
    keys = sorted({_key(contact) for contact in contacts})
    found, online = locate_addresses(session, settings, keys, progress=progress)
    report = apply_locations(session, contacts, found)
    report.online = online
    return report


def geocode_imported(
    session: Session,
    contact_ids: list[int],
    found: dict[AddressKey, Location],
    *,
    online: int,
    ctx: CampaignContext,
) -> GeocodeReport:
    """After an import (in its transaction): locate its contacts that have an address and no
    point yet, from the locations looked up before the write (`locate_addresses`)."""
    contacts: list[Contact] = []
    for start in range(0, len(contact_ids), CHUNK):
        chunk = contact_ids[start : start + CHUNK]
        contacts.extend(
            session.scalars(
                ctx.scoped(select(Contact), Contact).where(
                    Contact.id.in_(chunk),
                    Contact.address_line.is_not(None),
                    Contact.postal_code.is_not(None),
                    Contact.lat.is_(None),
                )
            )
        )
    report = apply_locations(session, contacts, found)
    report.online = online
    return report


def locate_offline(
    session: Session, *, postal_code: str, address_line: str
) -> tuple[float, float] | None:
    """Where an address is, from the offline BAN reference only (no network: fit for a web
    request): the address, else the middle of its postal code's points; None when unknown."""
    if address_line.strip():
        point = _lookup(session, postal_code, address_line)
        if point is not None:
            return point.lat, point.lon
    row = session.execute(
        select(func.avg(GeoAddress.lat), func.avg(GeoAddress.lon)).where(
            GeoAddress.postal_code == postal_code
        )
    ).first()
    if row is None or row[0] is None:
        return None
    return float(row[0]), float(row[1])
