"""Geography readers: bureau de vote and IRIS contours (GeoJSON, plain or .gz) and the REU
"adresses et bureaux de vote" CSV.

GeoJSON is streamed feature by feature (the national IRIS layer does not fit comfortably in
memory as one document). Geometries are returned as GeoJSON mappings in WGS84 (lon, lat);
Lambert-93 (EPSG:2154) or any EPSG CRS named in the legacy ``crs`` member is reprojected with
pyproj. ``shapely.geometry.shape(contour.geometry)`` gives a shapely geometry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from circo.elections.parsers.codes import normalize_station_code, split_station_id
from circo.elections.parsers.errors import ParseError, ParseWarning, WarningLog
from circo.elections.parsers.insee import normalize_iris_code
from circo.elections.parsers.textio import PathArg, fold, open_text, parse_float, sniff_csv

WGS84 = 4326
LAMBERT93 = 2154
_CHUNK = 1 << 20
_CRS_NAME = re.compile(r'"crs"\s*:\s*\{.*?"name"\s*:\s*"([^"]+)"', re.DOTALL)
_EPSG = re.compile(r"EPSG:*(\d+)", re.IGNORECASE)
_FEATURES = re.compile(r'"features"\s*:\s*\[')

Geometry = dict[str, Any]


def crs_epsg(name: str) -> int | None:
    """EPSG code of a GeoJSON CRS name (``urn:ogc:def:crs:EPSG::2154`` → 2154, CRS84 → 4326)."""
    if "CRS84" in name.upper():
        return WGS84
    match = _EPSG.search(name)
    return int(match.group(1)) if match else None


@dataclass(slots=True)
class GeoJsonInfo:
    file: str
    source_epsg: int | None  # as declared (None if no crs member)
    assumed_epsg: int  # what was used
    reprojected: bool
    features: int = 0


class GeoJsonFeatures:
    """Stream the features of a GeoJSON FeatureCollection, reprojected to WGS84."""

    def __init__(self, path: PathArg, *, source_epsg: int | None = None) -> None:
        self.path = path
        self._forced_epsg = source_epsg
        self._log = WarningLog()
        self.info = GeoJsonInfo(str(path), None, WGS84, False)
        self._transformer: Any = None

    @property
    def warnings(self) -> list[ParseWarning]:
        return self._log.items

    def _error(self, message: str) -> ParseError:
        return ParseError(self.path, None, None, message)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        decoder = json.JSONDecoder()
        with open_text(self.path, "utf-8-sig") as stream:
            buffer, position = self._seek_features(stream)
            while True:
                position = _skip_separators(buffer, position)
                if position >= len(buffer):
                    more = stream.read(_CHUNK)
                    if not more:
                        raise self._error(
                            "GeoJSON tronqué : la liste « features » n'est pas fermée"
                        )
                    buffer, position = buffer[position:] + more, 0
                    continue
                if buffer[position] == "]":
                    return
                try:
                    feature, end = decoder.raw_decode(buffer, position)
                except json.JSONDecodeError:
                    more = stream.read(_CHUNK)
                    if not more:
                        raise self._error(
                            f"GeoJSON invalide dans l'objet n° {self.info.features + 1}"
                        ) from None
                    buffer, position = buffer[position:] + more, 0
                    continue
                position = end
                self.info.features += 1
                yield self._reproject(feature)

    def _seek_features(self, stream: Any) -> tuple[str, int]:
        buffer = ""
        while True:
            chunk = stream.read(_CHUNK)
            buffer += chunk
            match = _FEATURES.search(buffer)
            if match:
                break
            if not chunk:
                raise self._error(
                    "pas de FeatureCollection : clé « features » introuvable (attendu un GeoJSON "
                    '{"type": "FeatureCollection", "features": [...]})'
                )
        crs = _CRS_NAME.search(buffer[: match.start()])
        self.info.source_epsg = crs_epsg(crs.group(1)) if crs else None
        return buffer, match.end()

    def _reproject(self, feature: dict[str, Any]) -> dict[str, Any]:
        geometry = feature.get("geometry")
        if not isinstance(geometry, dict) or "coordinates" not in geometry:
            return feature
        if self.info.features == 1:
            self._choose_crs(geometry)
        if self._transformer is not None:
            feature["geometry"] = {
                "type": geometry["type"],
                "coordinates": self._transform(geometry["coordinates"]),
            }
        return feature

    def _choose_crs(self, geometry: Geometry) -> None:
        epsg = self._forced_epsg or self.info.source_epsg
        if epsg is None:
            x = _first_position(geometry["coordinates"])[0]
            epsg = LAMBERT93 if abs(x) > 360 else WGS84
            if epsg == LAMBERT93:
                self._log.add(
                    None, "pas de CRS déclaré et coordonnées métriques : Lambert-93 supposé"
                )
        self.info.assumed_epsg = epsg
        if epsg != WGS84:
            from pyproj import Transformer

            self._transformer = Transformer.from_crs(epsg, WGS84, always_xy=True)
            self.info.reprojected = True

    def _transform(self, coordinates: Any) -> Any:
        if coordinates and isinstance(coordinates[0], (int, float)):
            lon, lat = self._transformer.transform(coordinates[0], coordinates[1])
            return [round(lon, 7), round(lat, 7)]
        if coordinates and isinstance(coordinates[0][0], (int, float)):
            array = np.asarray(coordinates, dtype=float)
            lon, lat = self._transformer.transform(array[:, 0], array[:, 1])
            return np.round(np.column_stack([lon, lat]), 7).tolist()
        return [self._transform(part) for part in coordinates]


def _skip_separators(buffer: str, position: int) -> int:
    length = len(buffer)
    while position < length and buffer[position] in " \t\r\n,":
        position += 1
    return position


def _first_position(coordinates: Any) -> list[float]:
    while coordinates and isinstance(coordinates[0], list):
        coordinates = coordinates[0]
    return list(coordinates) if coordinates else [0.0, 0.0]


def _pick(properties: dict[str, Any], names: tuple[str, ...]) -> tuple[str, str] | None:
    """First property (folded-name synonym) with a non-empty value: ``(name, value)``."""
    folded = {fold(key).replace(" ", ""): key for key in properties}
    for name in names:
        key = folded.get(name)
        if key is not None and properties[key] not in (None, ""):
            value = properties[key]
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            return key, str(value).strip()
    return None


# -- bureau contours ----------------------------------------------------------------------

STATION_ID_PROPERTIES = ("codebureauvote", "idbrutbvreu", "idreu", "idbv", "codebv", "bv")
COMMUNE_PROPERTIES = (
    "codecommune", "codeinsee", "insee", "inseecom", "codecommuneref", "com", "depcom",
    "codgeo", "commune",
)  # fmt: skip
STATION_PROPERTIES = (
    "numerobureauvote", "codebv", "idbv", "numbv", "bureau", "codebureau", "numero", "numbureau",
    "bv",
)  # fmt: skip
PARIS = "75056"


@dataclass(slots=True)
class BureauContour:
    station_key: str  # "75056_0101"
    commune_code: str
    station_code: str
    geometry: Geometry  # GeoJSON mapping, WGS84
    properties: dict[str, Any] = field(default_factory=dict)


class BureauContourReader:
    """Bureau de vote contours from GeoJSON (REU-derived national layer, city open data).

    ``commune_code`` supplies the commune when features carry only a bureau code. The Ville de
    Paris layer (``id_bv`` 'AABB' + ``arrondisse``/``num_bv``) is recognised: commune 75056.
    """

    def __init__(
        self, path: PathArg, *, commune_code: str | None = None, source_epsg: int | None = None
    ) -> None:
        self.path = path
        self.commune_code = commune_code
        self.features = GeoJsonFeatures(path, source_epsg=source_epsg)
        self.info = self.features.info
        self._log = self.features._log

    @property
    def warnings(self) -> list[ParseWarning]:
        return self._log.items

    def __iter__(self) -> Iterator[BureauContour]:
        seen: set[str] = set()
        for number, feature in enumerate(self.features, start=1):
            properties = feature.get("properties") or {}
            commune, station = self._place(number, properties)
            key = f"{commune}_{station}"
            if key in seen:
                self._log.add(None, f"objet n° {number} : bureau {key} en double")
            seen.add(key)
            yield BureauContour(key, commune, station, feature.get("geometry") or {}, properties)

    def _place(self, number: int, properties: dict[str, Any]) -> tuple[str, str]:
        full = _pick(properties, STATION_ID_PROPERTIES)
        if full and "_" in full[1]:
            parts = split_station_id(full[1])
            if parts:
                return parts
        commune = self.commune_code
        if commune is None:
            found = _pick(properties, COMMUNE_PROPERTIES)
            commune = found[1].zfill(5) if found else None
        if commune is None and _is_paris_layer(properties):
            commune = PARIS
        station = _pick(properties, STATION_PROPERTIES)
        if commune is None or station is None:
            station = station or _paris_station(properties)
        if commune is None or station is None:
            raise ParseError(
                self.path,
                None,
                f"objet n° {number}",
                "code commune ou code bureau introuvable dans les propriétés "
                f"« {', '.join(list(properties)[:8])} » (attendu « codeBureauVote » = "
                "'75056_0101', ou « codeCommune » + « numeroBureauVote ») ; passez commune_code",
            )
        return commune, normalize_station_code(station[1])


def _is_paris_layer(properties: dict[str, Any]) -> bool:
    keys = {fold(key).replace(" ", "") for key in properties}
    return "idbv" in keys and bool({"arrondisse", "arrondissement"} & keys)


def _paris_station(properties: dict[str, Any]) -> tuple[str, str] | None:
    arrondissement = _pick(properties, ("arrondissement", "arrondisse", "arr"))
    number = _pick(properties, ("numbv", "numerobv"))
    if arrondissement and number and arrondissement[1].isdigit() and number[1].isdigit():
        return "", f"{int(arrondissement[1]):02d}{int(number[1]):02d}"
    return None


# -- IRIS contours ------------------------------------------------------------------------


@dataclass(slots=True)
class IrisContour:
    iris_code: str
    commune_code: str
    name: str
    iris_type: str | None  # H habitat, A activité, D divers, Z commune non découpée
    geometry: Geometry
    properties: dict[str, Any] = field(default_factory=dict)


class IrisContourReader:
    """IRIS contours (IGN "Contours IRIS", Lambert-93 or WGS84) from GeoJSON."""

    def __init__(self, path: PathArg, *, source_epsg: int | None = None) -> None:
        self.path = path
        self.features = GeoJsonFeatures(path, source_epsg=source_epsg)
        self.info = self.features.info

    @property
    def warnings(self) -> list[ParseWarning]:
        return self.features.warnings

    def __iter__(self) -> Iterator[IrisContour]:
        for number, feature in enumerate(self.features, start=1):
            properties = feature.get("properties") or {}
            code = _pick(properties, ("codeiris", "dcomiris", "iriscode", "codeirisinsee"))
            commune = _pick(properties, ("inseecom", "codecommune", "codeinsee", "depcom", "com"))
            if code is None and commune is not None:
                short = _pick(properties, ("iris",))
                code = (short[0], commune[1] + short[1].zfill(4)) if short else None
            if code is None:
                raise ParseError(
                    self.path,
                    None,
                    f"objet n° {number}",
                    "code IRIS introuvable (attendu « CODE_IRIS » = '751010101', ou « INSEE_COM »"
                    f" + « IRIS ») ; propriétés reçues « {', '.join(list(properties)[:8])} »",
                )
            iris = normalize_iris_code(code[1])
            name = _pick(properties, ("nomiris", "libiris", "libelleiris"))
            kind = _pick(properties, ("typiris", "typeiris"))
            yield IrisContour(
                iris_code=iris,
                commune_code=commune[1].zfill(5) if commune else iris[:5],
                name=name[1] if name else "",
                iris_type=kind[1] if kind else None,
                geometry=feature.get("geometry") or {},
                properties=properties,
            )


# -- REU addresses ------------------------------------------------------------------------


@dataclass(slots=True)
class ReuAddress:
    line: int
    id: str | None
    commune_code: str
    station_code: str
    station_key: str
    longitude: float | None
    latitude: float | None
    address: str
    address_count: int  # REU addresses at this point ("nb_adresses"), 1 if absent
    geo_score: float | None
    geo_type: str | None


_REU_COLUMNS = {
    "id": ("id", "id adresse", "id adr"),
    "station_id": ("id brut bv reu", "id bv", "id brut bv", "code bv reu"),
    "commune": ("code commune ref", "code commune", "codecommune", "code insee", "com"),
    "station": ("code bv", "numero bv", "bureau", "code bureau", "num bv", "bv"),
    "longitude": ("longitude", "lon", "lng", "x"),
    "latitude": ("latitude", "lat", "y"),
    "address": ("geo adresse", "adresse", "libelle adresse", "api line"),
    "number": ("numero voie reu", "numero", "num voie"),
    "street": ("voie reu", "libelle voie", "voie"),
    "count": ("nb adresses", "nombre adresses", "nb adr"),
    "score": ("geo score", "score"),
    "type": ("geo type", "type"),
}


class ReuAddressReader:
    """The REU "adresses et bureaux de vote" table (``id_brut_bv_reu`` = '29039_1')."""

    def __init__(
        self, path: PathArg, *, encoding: str | None = None, separator: str | None = None
    ) -> None:
        self.path = path
        self.source = sniff_csv(path, encoding=encoding, separator=separator)
        rows = self.source.rows()
        try:
            _, header = next(rows)
        except StopIteration:
            raise ParseError(path, 1, None, "fichier vide") from None
        finally:
            rows.close()
        folded = [fold(name) for name in header]
        self.columns = {
            key: next((folded.index(name) for name in names if name in folded), -1)
            for key, names in _REU_COLUMNS.items()
        }
        self.header = header
        if (
            self.columns["station_id"] < 0
            and min(self.columns["commune"], self.columns["station"]) < 0
        ):
            raise ParseError(
                path,
                1,
                None,
                "colonnes du bureau introuvables (attendu « id_brut_bv_reu » = '29039_1', ou "
                f"« code_commune_ref » + « code_bv ») ; reçu « {'; '.join(header[:8])} »",
            )

    def _cell(self, row: list[str], key: str) -> str:
        index = self.columns[key]
        return row[index].strip() if 0 <= index < len(row) else ""

    def _number(self, line: int, row: list[str], key: str) -> float | None:
        text = self._cell(row, key)
        try:
            return parse_float(text)
        except ValueError:
            column = self.header[self.columns[key]]
            raise ParseError(
                self.path, line, column, f"nombre invalide « {text} » (attendu ex. -3.9138)"
            ) from None

    def __iter__(self) -> Iterator[ReuAddress]:
        for line, row in self.source.rows():
            if line == 1 or not any(row):
                continue
            parts = split_station_id(self._cell(row, "station_id"))
            commune = self._cell(row, "commune")
            if parts is None:
                station = normalize_station_code(self._cell(row, "station"))
                if not commune or not station:
                    raise ParseError(self.path, line, None, "code commune ou bureau vide")
                parts = (commune.zfill(5), station)
            elif commune and commune.zfill(5) != parts[0]:
                parts = (commune.zfill(5), parts[1])  # the reference commune wins
            count = self._number(line, row, "count")
            address = self._cell(row, "address") or " ".join(
                part for part in (self._cell(row, "number"), self._cell(row, "street")) if part
            )
            yield ReuAddress(
                line=line,
                id=self._cell(row, "id") or None,
                commune_code=parts[0],
                station_code=parts[1],
                station_key=f"{parts[0]}_{parts[1]}",
                longitude=self._number(line, row, "longitude"),
                latitude=self._number(line, row, "latitude"),
                address=address,
                address_count=int(count) if count is not None else 1,
                geo_score=self._number(line, row, "score"),
                geo_type=self._cell(row, "type") or None,
            )


def read_bureau_contours(
    path: PathArg, *, commune_code: str | None = None, source_epsg: int | None = None
) -> BureauContourReader:
    return BureauContourReader(path, commune_code=commune_code, source_epsg=source_epsg)


def read_iris_contours(path: PathArg, *, source_epsg: int | None = None) -> IrisContourReader:
    return IrisContourReader(path, source_epsg=source_epsg)


def read_reu_addresses(
    path: PathArg, *, encoding: str | None = None, separator: str | None = None
) -> ReuAddressReader:
    return ReuAddressReader(path, encoding=encoding, separator=separator)
