"""Bounded path and query parameters shared by every API operation (`circo.bounds` for bodies).

``IdPath`` for ``/{contact_id}``-like segments, ``Limit``/``Offset`` for pages, ``QueryText`` for
free text in the query string: out-of-range input is a 422 naming the parameter.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator

from circo.bounds import MAX_ID, MAX_OFFSET, SHORT_TEXT, no_nul, no_nul_optional

IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="identifiant (entier ≥ 1)")]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]
Limit = Annotated[int, Query(ge=1, le=1000)]
QueryText = Annotated[str, AfterValidator(no_nul), Query(max_length=SHORT_TEXT)]
QueryOptText = Annotated[str | None, AfterValidator(no_nul_optional), Query(max_length=SHORT_TEXT)]
SlugPath = Annotated[str, Path(max_length=100)]


def limit_query(maximum: int) -> Any:
    """A ``limit`` query parameter between 1 and ``maximum``."""
    return Query(ge=1, le=maximum)
