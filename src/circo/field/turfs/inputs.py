"""Addresses for turf cutting: read from a CSV file, or a seeded synthetic town."""

from __future__ import annotations

import csv
import io
import itertools
import math
from os import PathLike
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from circo.field.turfs.plan import Address, TurfInputError

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
