"""French messages for request validation errors (pydantic's are English)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import FastAPI

_LOCATIONS = {"path": "chemin", "query": "paramètre", "body": "corps", "header": "en-tête"}


def _bound(ctx: Mapping[str, Any], key: str) -> str:
    return str(ctx.get(key, "?"))


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    texts = {
        "missing": "champ obligatoire manquant",
        "less_than_equal": f"doit être inférieur ou égal à {_bound(ctx, 'le')}",
        "less_than": f"doit être strictement inférieur à {_bound(ctx, 'lt')}",
        "greater_than_equal": f"doit être supérieur ou égal à {_bound(ctx, 'ge')}",
        "greater_than": f"doit être strictement supérieur à {_bound(ctx, 'gt')}",
        "int_parsing": "entier attendu (exemple : 12)",
        "int_type": "entier attendu (exemple : 12)",
        "int_from_float": "entier attendu, pas un nombre décimal (exemple : 12)",
        "float_parsing": "nombre attendu (exemple : 0.5)",
        "float_type": "nombre attendu (exemple : 0.5)",
        "finite_number": "nombre fini attendu (ni infini ni NaN)",
        "bool_parsing": "booléen attendu (true ou false)",
        "bool_type": "booléen attendu (true ou false)",
        "string_type": "texte attendu",
        "string_too_long": f"texte trop long ({_bound(ctx, 'max_length')} caractères au plus)",
        "string_too_short": f"texte trop court ({_bound(ctx, 'min_length')} caractère(s) au moins)",
        "too_long": f"trop d'éléments ({_bound(ctx, 'max_length')} au plus)",
        "too_short": f"pas assez d'éléments ({_bound(ctx, 'min_length')} au moins)",
        "date_parsing": "date attendue au format AAAA-MM-JJ (exemple : 2026-03-15)",
        "date_from_datetime_parsing": "date attendue au format AAAA-MM-JJ (exemple : 2026-03-15)",
        "date_type": "date attendue au format AAAA-MM-JJ (exemple : 2026-03-15)",
        "datetime_parsing": "date et heure attendues (exemple : 2026-03-15T18:30:00)",
        "datetime_from_date_parsing": "date et heure attendues (exemple : 2026-03-15T18:30:00)",
        "datetime_type": "date et heure attendues (exemple : 2026-03-15T18:30:00)",
        "list_type": "liste attendue",
        "dict_type": "objet JSON attendu",
        "model_type": "objet JSON attendu",
        "model_attributes_type": "objet JSON attendu",
        "json_invalid": "JSON invalide",
        "extra_forbidden": "champ inconnu",
        "literal_error": f"valeur attendue parmi : {_bound(ctx, 'expected')}",
        "enum": f"valeur attendue parmi : {_bound(ctx, 'expected')}",
        "value_error": str(ctx.get("error", error.get("msg", ""))),
    }
    return texts.get(kind, str(error.get("msg", "valeur invalide")))


def _location(loc: Iterable[Any]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in _LOCATIONS and len(parts) > 1:
        return ".".join(parts[1:])
    return ".".join(parts)


def french_problems(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """``[{"loc": "body.birth_year", "message": "doit être inférieur ou égal à 2100"}, …]``."""
    return [
        {"loc": ".".join(str(part) for part in error["loc"]), "message": _message(error)}
        for error in errors
    ]


def summary(problems: list[dict[str, str]]) -> str:
    """One line naming the first field: ``requête invalide — limit : doit être ≤ …``."""
    if not problems:
        return "requête invalide"
    first = problems[0]
    more = f" (et {len(problems) - 1} autre(s) problème(s))" if len(problems) > 1 else ""
    return f"requête invalide — {_location(first['loc'].split('.'))} : {first['message']}{more}"


# The body of a 422, as the OpenAPI document describes it: a request the schemas refuse
# (``"error": "ValidationError"`` with ``details``), or a value a domain rule refuses (a
# `CircoError` with ``loc``, e.g. an unknown document type).
ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorBody",
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "loc": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "details": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"loc": {"type": "string"}, "message": {"type": "string"}},
                "required": ["loc", "message"],
            },
        },
    },
    "required": ["error", "message"],
}


# The refusals every API operation may answer, with the same error body (`CircoError.to_dict`).
ERROR_RESPONSES = {
    "400": "Requête refusée par une règle (le champ est nommé dans loc)",
    "401": "Authentification requise",
    "403": "Rôle insuffisant ou jeton CSRF manquant",
    "404": "Introuvable dans cette campagne",
    "409": "Conflit avec l'état actuel",
    "423": "Bloqué par le calendrier électoral (L49, L52-1)",
    "429": "Trop de demandes : réessayer plus tard",
    "503": "Serveur occupé : réessayer après Retry-After",
}


def document_error_shape(app: FastAPI) -> None:
    """Make the OpenAPI document describe circo's error bodies: the 422 instead of FastAPI's
    default, and the other refusals (400, 401, 403, 404, 409, 423, 429, 503) of every API
    operation."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_SCHEMA
                schemas.pop("ValidationError", None)
            schemas["ErrorBody"] = ERROR_SCHEMA
            error = {"$ref": "#/components/schemas/ErrorBody"}
            for path, operations in document.get("paths", {}).items():
                if not path.startswith("/api/"):
                    continue
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    for status, description in ERROR_RESPONSES.items():
                        responses.setdefault(
                            status,
                            {
                                "description": description,
                                "content": {"application/json": {"schema": error}},
                            },
                        )
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
