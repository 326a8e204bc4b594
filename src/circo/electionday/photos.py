"""Photos of the procès-verbaux, taken on the phone with the PV they show.

The phone sends the PV first, then its photo (``POST …/night/pv/photo?result=<id answered for
the PV>&photo=<photo id>``, the image as the body): the PV's and the photo's ids are made on the
phone, so the offline queue can retry either without storing anything twice. The image is
checked before it is kept — its first bytes must be a JPEG, PNG or WebP and agree with the
declared type, at most `MAX_BYTES` — and written under the data dir
(``electionday/pv-photos/<campaign>/<sha256>.<ext>``) before the row that points at it is
committed."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.electionday.errors import NightError
from circo.electionday.models import NightResult, PvPhoto

MAX_BYTES = 8 * 1024 * 1024  # = circo.web.deps.UPLOAD_LIMIT; a resized phone photo is far smaller
TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
FOLDER = Path("electionday") / "pv-photos"
_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class PhotoError(NightError):
    """A photo refused (type, size, unknown PV)."""


def sniff(data: bytes) -> str | None:
    """The image type from the first bytes, or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_photo(data: bytes, declared: str) -> str:
    """The media type of an acceptable photo, else `PhotoError` saying what is wrong."""
    declared = declared.split(";")[0].strip().lower()
    if not data:
        raise PhotoError("photo vide", loc="photo")
    if len(data) > MAX_BYTES:
        raise PhotoError(
            f"photo trop lourde ({len(data) // 1024} Ko) ; au plus {MAX_BYTES // 1024 // 1024} Mo",
            loc="photo",
        )
    found = sniff(data)
    if found is None:
        raise PhotoError(
            f"le fichier envoyé n'est pas une image JPEG, PNG ou WebP (type annoncé « "
            f"{declared or 'aucun'} »)",
            loc="photo",
        )
    if declared and declared != found:
        raise PhotoError(f"type annoncé « {declared} » mais le contenu est {found}", loc="photo")
    return found


def _key(text: str, name: str) -> str:
    if not _KEY.match(text):
        raise PhotoError(
            f"identifiant {name} « {text[:80]} » invalide (8 à 64 lettres, chiffres, - ou _)",
            loc=name,
        )
    return text


def store_photo(
    session: Session,
    ctx: CampaignContext,
    data_dir: Path,
    *,
    result_id: int,
    photo_key: str,
    data: bytes,
    declared_type: str,
) -> dict[str, Any]:
    """Keep a photo of the entered PV ``result_id``. Answers ``{"status": "added" |
    "already", "id", "station"}``; a retry with the same ``photo_key`` writes nothing."""
    _key(photo_key, "photo")
    already = session.scalar(
        ctx.scoped(select(PvPhoto), PvPhoto).where(PvPhoto.client_id == photo_key)
    )
    if already is not None:
        result = session.get(NightResult, already.result_id)
        station = result.station_key if result is not None else ""
        return {"status": "already", "id": already.id, "station": station}
    result = session.scalar(
        ctx.scoped(select(NightResult), NightResult).where(NightResult.id == result_id)
    )
    if result is None:
        raise PhotoError(
            f"procès-verbal n° {result_id} inconnu : envoyez d'abord le procès-verbal",
            loc="result",
            status=404,
        )
    media_type = check_photo(data, declared_type)
    digest = hashlib.sha256(data).hexdigest()
    relative = FOLDER / str(ctx.campaign_id) / f"{digest}.{TYPES[media_type]}"
    target = data_dir / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.part")
        temporary.write_bytes(data)
        os.replace(temporary, target)  # whole or absent, never half a file
    photo = PvPhoto(
        campaign_id=ctx.campaign_id, result_id=result.id, client_id=photo_key,
        path=relative.as_posix(), media_type=media_type, size=len(data), sha256=digest,
        uploaded_by_user_id=ctx.actor.user_id,
    )  # fmt: skip
    session.add(photo)
    session.flush()
    return {"status": "added", "id": photo.id, "station": result.station_key}


def photos_of(
    session: Session, ctx: CampaignContext, result_ids: list[int]
) -> dict[int, list[PvPhoto]]:
    found: dict[int, list[PvPhoto]] = {}
    for start in range(0, len(result_ids), 500):
        chunk = result_ids[start : start + 500]
        for photo in session.scalars(
            ctx.scoped(select(PvPhoto), PvPhoto)
            .where(PvPhoto.result_id.in_(chunk))
            .order_by(PvPhoto.id)
        ):
            found.setdefault(photo.result_id, []).append(photo)
    return found


def photo_file(
    session: Session, ctx: CampaignContext, data_dir: Path, photo_id: int
) -> tuple[Path, str]:
    """(file, media type) of one of the campaign's photos."""
    photo = session.scalar(ctx.scoped(select(PvPhoto), PvPhoto).where(PvPhoto.id == photo_id))
    if photo is None:
        raise PhotoError(f"photo n° {photo_id} introuvable", loc="photo", status=404)
    path = data_dir / photo.path
    if not path.is_file():
        raise PhotoError(f"photo n° {photo_id} absente du dossier de données", loc="photo",
                         status=404)  # fmt: skip
    return path, photo.media_type
