"""Parsers of the official French open-data files used by circo — pure, streaming, no database.

Everything here reads a file and yields plain dataclasses; nothing touches the database, the web
app or the CLI (stdlib + numpy, pyproj for reprojection). The import services build on it.

Results per bureau de vote (Ministère de l'Intérieur, 2012 → 2024)
------------------------------------------------------------------
``read_results(path, *, format=None, encoding=None, separator=None, round=None)`` returns a
`ResultsParser`. Construction sniffs the file (gzip, encoding, separator, layout) and raises
`ParseError` on an unusable header; iterating streams `StationResult`s (one per bureau)::

    parser = read_results("resultats-par-niveau-burvot-t1-france-entiere.txt")
    parser.info            # ResultsFileInfo: format "wide"|"long", layout, encoding, separator,
                           # blank_and_null_combined, derived_fields, hints {"year", "round", …}
    for station in parser:     # StationResult
        station.station_key    # "91477_0001" (commune INSEE code + "_" + 4-digit bureau code)
        station.registered, station.voters, station.valid_votes, station.blank, station.null_votes
        for candidate in station.candidates:   # CandidateVotes
            candidate.name, candidate.label, candidate.votes
    parser.warnings        # [ParseWarning(line, message)], consistency checks of the last pass
    parser.info.stations, parser.info.department_codes   # filled while streaming

* Layouts: ``blocks`` (wide, repeated candidate/list blocks, header naming only the first block
  or every block, optional trailing empty column, extra columns before/after), ``candidate_columns``
  (wide, one column of votes per candidate), ``long`` (one row per candidate; rows of a bureau
  contiguous; a ``N° tour`` column is exposed as ``StationResult.round`` and filtered by
  ``round=``). ``format="wide"|"long"`` overrides the detection.
* Codes: Ministry département codes ZA…ZZ become INSEE (971…, 99 abroad); commune codes are
  INSEE 5-character codes; bureau codes are normalised (``"1"`` → ``"0001"``, ``"a3"`` → ``"A3"``);
  ``constituency_code`` is ``"91-04"``. See `circo.elections.parsers.codes`.
* Totals absent from the file are None, except derivable ones (``derived_fields``):
  abstentions = inscrits − votants, nuls = votants − blancs − exprimés, exprimés = Σ voix.
  "Blancs et nuls" (2012/2014) goes to ``null_votes`` with ``blank = 0`` and
  ``info.blank_and_null_combined = True``.
* Checks → warnings with line numbers: votants = exprimés + blancs + nuls; Σ voix = exprimés;
  inscrits ≥ votants; inscrits − votants = abstentions; duplicate bureaux.
* Errors → `ParseError(file, line, column, message)` (a ``ValueError``) with a French message:
  short/truncated row, wrong separator, unknown header, bad number ("12a"), bad encoding.

INSEE
-----
``read_iris_table(path)`` → `IrisTableReader` of `IrisRecord(line, iris_code, commune_code,
values)`: every numeric indicator column under its INSEE code (``P15_POP``), secret values
(``s``, ``nd``, empty) → None, decimal comma handled; ``reader.info.aliases`` maps
year-independent aliases (``pop``, ``pop_15p_cs3``, ``disp_med``) to codes.
COG: ``read_cog_communes`` (`CogCommune`, types COM/ARM/COMD/COMA), ``read_cog_departments``,
``read_cog_regions``, ``read_commune_movements`` and ``read_commune_mergers`` →
`CommuneMergerMap` (``.resolve(old_code)`` → current code, mergers followed transitively).

Geography
---------
``read_bureau_contours(path, *, commune_code=None)`` → `BureauContour(station_key,
commune_code, station_code, geometry, properties)`; ``read_iris_contours(path)`` →
`IrisContour(iris_code, commune_code, name, iris_type, geometry, properties)`. GeoJSON plain or
``.gz``, streamed; geometries are GeoJSON mappings in WGS84 (Lambert-93 reprojected; see
``reader.info``). ``read_reu_addresses(path)`` → `ReuAddress(line, id, commune_code,
station_code, station_key, longitude, latitude, address, address_count, geo_score, geo_type)`.
Shapefiles are not read here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from circo.elections.parsers.codes import (
        MINISTRY_DEPARTMENTS,
        commune_code,
        constituency_code,
        normalize_department,
        normalize_station_code,
        station_key,
    )
    from circo.elections.parsers.errors import ParseError, ParseWarning
    from circo.elections.parsers.geo import (
        BureauContour,
        BureauContourReader,
        GeoJsonInfo,
        IrisContour,
        IrisContourReader,
        ReuAddress,
        ReuAddressReader,
        read_bureau_contours,
        read_iris_contours,
        read_reu_addresses,
    )
    from circo.elections.parsers.insee import (
        CogCommune,
        CogDepartment,
        CogRegion,
        CommuneMergerMap,
        CommuneMovement,
        IrisRecord,
        IrisTableInfo,
        IrisTableReader,
        indicator_alias,
        read_cog_communes,
        read_cog_departments,
        read_cog_regions,
        read_commune_mergers,
        read_commune_movements,
        read_iris_table,
    )
    from circo.elections.parsers.results import (
        CandidateVotes,
        ResultsParser,
        StationResult,
        read_results,
    )
    from circo.elections.parsers.results_types import ResultsFileInfo

# Re-exports load their module on first use, so that importing one light module of this package
# (``codes``, say, for the CLI's fast paths) does not pull numpy and every reader in.
_EXPORTS = {
    "MINISTRY_DEPARTMENTS": "codes",
    "commune_code": "codes",
    "constituency_code": "codes",
    "normalize_department": "codes",
    "normalize_station_code": "codes",
    "station_key": "codes",
    "ParseError": "errors",
    "ParseWarning": "errors",
    "BureauContour": "geo",
    "BureauContourReader": "geo",
    "GeoJsonInfo": "geo",
    "IrisContour": "geo",
    "IrisContourReader": "geo",
    "ReuAddress": "geo",
    "ReuAddressReader": "geo",
    "read_bureau_contours": "geo",
    "read_iris_contours": "geo",
    "read_reu_addresses": "geo",
    "CogCommune": "insee",
    "CogDepartment": "insee",
    "CogRegion": "insee",
    "CommuneMergerMap": "insee",
    "CommuneMovement": "insee",
    "IrisRecord": "insee",
    "IrisTableInfo": "insee",
    "IrisTableReader": "insee",
    "indicator_alias": "insee",
    "read_cog_communes": "insee",
    "read_cog_departments": "insee",
    "read_cog_regions": "insee",
    "read_commune_mergers": "insee",
    "read_commune_movements": "insee",
    "read_iris_table": "insee",
    "CandidateVotes": "results",
    "ResultsFileInfo": "results_types",
    "ResultsParser": "results",
    "StationResult": "results",
    "read_results": "results",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "MINISTRY_DEPARTMENTS",
    "BureauContour",
    "BureauContourReader",
    "CandidateVotes",
    "CogCommune",
    "CogDepartment",
    "CogRegion",
    "CommuneMergerMap",
    "CommuneMovement",
    "GeoJsonInfo",
    "IrisContour",
    "IrisContourReader",
    "IrisRecord",
    "IrisTableInfo",
    "IrisTableReader",
    "ParseError",
    "ParseWarning",
    "ResultsFileInfo",
    "ResultsParser",
    "ReuAddress",
    "ReuAddressReader",
    "StationResult",
    "commune_code",
    "constituency_code",
    "indicator_alias",
    "normalize_department",
    "normalize_station_code",
    "read_bureau_contours",
    "read_cog_communes",
    "read_cog_departments",
    "read_cog_regions",
    "read_commune_mergers",
    "read_commune_movements",
    "read_iris_contours",
    "read_iris_table",
    "read_results",
    "read_reu_addresses",
    "station_key",
]
