"""Bounded value types shared by every schema: ids, counts, dates, numbers, text, free JSON.

Every number, date and string an API operation accepts goes through one of these (path and
query parameters through `circo.web.types`), so that input outside what the database columns and
the code can hold is answered with a 422 naming the field (``{"error": "ValidationError",
"message": …, "details": [{"loc", "message"}]}``), never a server error. Plain pydantic: domain
schemas and services import it without importing the web layer. Ids are 32-bit ``INTEGER``
columns on both backends; text is refused when it holds a NUL character (PostgreSQL cannot
store it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

MAX_ID = 2**31 - 1  # INTEGER primary keys on SQLite and PostgreSQL
MAX_OFFSET = 10_000_000
MAX_COUNT = 2**31 - 1
MIN_YEAR = 1900
MAX_YEAR = 2100
MAX_ABS_FLOAT = 1e12
SHORT_TEXT = 500  # names, codes, e-mail addresses, single-line inputs
LONG_TEXT = 200_000  # message bodies, notes, pasted documents


def no_nul(value: str) -> str:
    """The text, or ValueError when it holds a NUL character."""
    if "\x00" in value:
        raise ValueError("caractère nul (\\x00) interdit dans un texte")
    return value


def no_nul_optional(value: str | None) -> str | None:
    return None if value is None else no_nul(value)


def _sane_datetime(value: datetime) -> datetime:
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise ValueError(
            f"année {value.year} hors de la plage {MIN_YEAR}–{MAX_YEAR} "
            "(exemple : 2026-03-15T18:30:00)"
        )
    return value


def _json_value_ok(value: Any, depth: int = 0) -> Any:
    """Free JSON (custom fields, questionnaire questions…): no NUL anywhere, bounded depth."""
    if depth > 20:
        raise ValueError("structure JSON trop profonde (20 niveaux au plus)")
    if isinstance(value, str):
        return no_nul(value)
    if isinstance(value, float) and not abs(value) <= MAX_ABS_FLOAT:
        raise ValueError(f"nombre hors bornes (±{MAX_ABS_FLOAT:g} au plus)")
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
        raise ValueError("entier hors bornes (±2^53 au plus)")
    if isinstance(value, dict):
        for key, item in value.items():
            no_nul(str(key))
            _json_value_ok(item, depth + 1)
    if isinstance(value, list):
        for item in value:
            _json_value_ok(item, depth + 1)
    return value


# --- body fields ------------------------------------------------------------------------------

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
ShortText = Annotated[str, StringConstraints(max_length=SHORT_TEXT), AfterValidator(no_nul)]
LongText = Annotated[str, StringConstraints(max_length=LONG_TEXT), AfterValidator(no_nul)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_ABS_FLOAT, le=MAX_ABS_FLOAT)]
SaneDate = Annotated[date, Field(ge=date(MIN_YEAR, 1, 1), le=date(MAX_YEAR, 12, 31))]
SaneDatetime = Annotated[datetime, AfterValidator(_sane_datetime)]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
JsonValue = Annotated[Any, AfterValidator(_json_value_ok)]
JsonObject = Annotated[dict[str, Any], AfterValidator(_json_value_ok)]


class ReadModel(BaseModel):
    """Base of response bodies built from dicts: a key the model does not declare is an error
    (caught by the tests and the fuzz run), so the OpenAPI document stays the contract."""

    model_config = ConfigDict(extra="forbid")
