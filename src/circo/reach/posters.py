"""Official poster boards (panneaux électoraux): one per bureau de vote of a commune, made from
the imported bureaux (elections reference data: the bureaux of the commune, located at the mean
of their REU address points), the campaign's panel number, the state of its poster (a closed
set: `PosterStatus`) with a photo taken on the phone, and rounds of checks given to volunteers.

A photo is checked (size, a real JPEG, PNG or WebP image read by Pillow), re-encoded as JPEG
without its metadata (a phone writes the place and the device in EXIF) and stored under the data
dir: ``<data dir>/posters/<campaign id>/<board>-<random>.jpg``.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import Membership, Role, User
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import utcnow
from circo.errors import NotFound, PermissionDenied
from circo.reach.errors import ReachError
from circo.reach.models import PosterBoard, PosterCheck, PosterRound, PosterStatus

MANAGERS = (Role.organiser, Role.data)
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_MAX_SIDE = 1600
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "MPO"}  # MPO: some phones' JPEG
STATUS_COLOURS = {
    "pending": "#718096",
    "posted": "#2f855a",
    "torn": "#c53030",
    "covered": "#dd6b20",
    "redo": "#805ad5",
}


def _check_commune(commune: str) -> str:
    code = commune.strip().upper()
    if len(code) != 5 or not code[:2].isalnum() or not code[2:].isdigit():
        raise ReachError(
            f"code commune invalide « {commune} » : 5 caractères INSEE, ex. 29039", loc="commune"
        )
    return code


def commune_bureaux(session: Session, commune: str) -> list[dict[str, Any]]:
    """The bureaux of a commune known to the elections reference data, with a point (the mean
    of the bureau's REU addresses) when the REU file was imported."""
    from pyproj import Transformer

    from circo.elections.models import ReuAddress, Territory

    names: dict[str, str] = dict(
        session.execute(
            select(Territory.code, Territory.name).where(
                Territory.level == "bv", Territory.code.startswith(f"{commune}_", autoescape=True)
            )
        ).all()
    )
    points = {
        key: (x, y)
        for key, x, y in session.execute(
            select(ReuAddress.station_key, func.avg(ReuAddress.x), func.avg(ReuAddress.y))
            .where(ReuAddress.commune_code == commune)
            .group_by(ReuAddress.station_key)
        ).all()
    }
    keys = sorted(set(names) | set(points))
    to_wgs84 = Transformer.from_crs(2154, 4326, always_xy=True)
    bureaux = []
    for key in keys:
        lat = lon = None
        if key in points:
            lon, lat = to_wgs84.transform(float(points[key][0]), float(points[key][1]))
        bureaux.append({"bureau": key, "name": names.get(key, ""), "lat": lat, "lon": lon})
    return bureaux


@dataclass(frozen=True)
class BoardsCreated:
    commune: str
    number: int
    created: int
    updated: int
    boards: int

    def as_json(self) -> dict[str, Any]:
        return {
            "commune": self.commune,
            "number": self.number,
            "created": self.created,
            "updated": self.updated,
            "boards": self.boards,
        }


def create_boards(
    session: Session, ctx: CampaignContext, *, commune: str, number: int
) -> BoardsCreated:
    """One board per bureau de vote of ``commune``, with the campaign's panel ``number``. Run
    again (a new number, bureaux imported since), it updates: one board per bureau."""
    ctx.require(*MANAGERS)
    code = _check_commune(commune)
    if not 1 <= number <= 999:
        raise ReachError(
            f"numéro de panneau invalide : {number} (celui tiré au sort, ex. 3)", loc="number"
        )
    bureaux = commune_bureaux(session, code)
    if not bureaux:
        raise ReachError(
            f"aucun bureau de vote connu pour la commune {code} : importez les bureaux ou le "
            "REU (`circo import reu FICHIER.csv`)",
            loc="commune",
        )
    existing = {
        board.bureau: board
        for board in session.scalars(
            ctx.scoped(select(PosterBoard), PosterBoard).where(PosterBoard.commune_code == code)
        )
    }
    created = updated = 0
    for item in bureaux:
        board = existing.get(item["bureau"])
        if board is None:
            session.add(
                PosterBoard(
                    campaign_id=ctx.campaign_id,
                    commune_code=code,
                    bureau=item["bureau"],
                    place=item["name"][:200],
                    number=number,
                    lat=item["lat"],
                    lon=item["lon"],
                )
            )
            created += 1
        else:
            board.number = number
            board.place = item["name"][:200] or board.place
            board.lat, board.lon = item["lat"] or board.lat, item["lon"] or board.lon
            updated += 1
    session.flush()
    return BoardsCreated(code, number, created, updated, len(bureaux))


def list_boards(
    session: Session, ctx: CampaignContext, *, commune: str | None = None
) -> list[PosterBoard]:
    query = ctx.scoped(select(PosterBoard), PosterBoard)
    if commune:
        query = query.where(PosterBoard.commune_code == _check_commune(commune))
    return list(session.scalars(query.order_by(PosterBoard.commune_code, PosterBoard.bureau)))


def get_board(session: Session, ctx: CampaignContext, board_id: int) -> PosterBoard:
    board = session.scalar(
        ctx.scoped(select(PosterBoard), PosterBoard).where(PosterBoard.id == board_id)
    )
    if board is None:
        raise NotFound(f"panneau {board_id} introuvable", loc="board")
    return board


def status_counts(boards: Sequence[PosterBoard]) -> dict[str, int]:
    counts = {status.value: 0 for status in PosterStatus}
    for board in boards:
        counts[str(board.status)] += 1
    return counts


def parse_status(value: str) -> PosterStatus:
    from circo.labels import LABELS

    text = value.strip()
    french = {word: key for key, word in LABELS["poster_status"].items()}
    if text in PosterStatus.__members__:
        return PosterStatus(text)
    if text.lower() in french:
        return PosterStatus(french[text.lower()])
    choices = ", ".join(f"{key} ({word})" for key, word in LABELS["poster_status"].items())
    raise ReachError(f"état « {value} » inconnu ; attendu l'un de : {choices}", loc="status")


# --- photos -----------------------------------------------------------------------------------


def clean_photo(data: bytes) -> bytes:
    """The photo as a JPEG without metadata, at most ``PHOTO_MAX_SIDE`` pixels a side; a file
    too large or that is not a JPEG, PNG or WebP image is refused, naming the field."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > PHOTO_MAX_BYTES:
        raise ReachError(
            f"photo trop lourde ({len(data) // 1024} Ko) : {PHOTO_MAX_BYTES // (1024 * 1024)} Mo "
            "au plus",
            loc="photo",
            status=413,
        )
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            probe.verify()
        if kind not in PHOTO_FORMATS:
            raise ValueError(kind)
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            rgb = upright.convert("RGB")
    except (UnidentifiedImageError, ValueError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ReachError(
            "la photo n'est pas une image JPEG, PNG ou WebP lisible", loc="photo", status=422
        ) from None
    rgb.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=82)  # no exif= : the metadata is dropped
    return out.getvalue()


def photo_dir(data_dir: Path, campaign_id: int) -> Path:
    return data_dir / "posters" / str(campaign_id)


def photo_path(data_dir: Path, board: PosterBoard) -> Path | None:
    if not board.photo:
        return None
    path = photo_dir(data_dir, board.campaign_id) / board.photo
    return path if path.is_file() else None


# --- checks and rounds ------------------------------------------------------------------------


def _rounds_of(session: Session, ctx: CampaignContext, user_id: int) -> list[PosterRound]:
    return list(
        session.scalars(
            ctx.scoped(select(PosterRound), PosterRound)
            .where(PosterRound.user_id == user_id)
            .order_by(PosterRound.day.desc(), PosterRound.id.desc())
        )
    )


def may_check(session: Session, ctx: CampaignContext, board: PosterBoard) -> bool:
    """Organisers check any board; a volunteer the boards of the rounds given to them."""
    if ctx.role is Role.admin or ctx.role in MANAGERS:
        return True
    if ctx.actor.user_id is None:
        return False
    return any(
        board.id in (item.board_ids or []) for item in _rounds_of(session, ctx, ctx.actor.user_id)
    )


def record_check(
    session: Session,
    ctx: CampaignContext,
    *,
    data_dir: Path,
    board_id: int,
    status: str,
    photo: bytes | None = None,
    round_id: int | None = None,
) -> PosterCheck:
    """Record what was seen at a board (and its photo); the board takes that state."""
    board = get_board(session, ctx, board_id)
    if not may_check(session, ctx, board):
        raise PermissionDenied(
            "ce panneau n'est dans aucune de vos tournées de vérification", loc="board"
        )
    state = parse_status(status)
    name = None
    if photo:
        cleaned = clean_photo(photo)
        folder = photo_dir(data_dir, ctx.campaign_id)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{board.id}-{secrets.token_hex(8)}.jpg"
        (folder / name).write_bytes(cleaned)
    if round_id is not None:
        get_round(session, ctx, round_id)
    now = utcnow()
    check = PosterCheck(
        campaign_id=ctx.campaign_id,
        board_id=board.id,
        round_id=round_id,
        status=state,
        photo=name,
        user_id=ctx.actor.user_id,
        checked_at=now,
    )
    session.add(check)
    board.status = state
    board.checked_at = now
    if name:
        board.photo = name
    session.flush()
    return check


def checks_of(session: Session, ctx: CampaignContext, board_id: int) -> list[PosterCheck]:
    return list(
        session.scalars(
            ctx.scoped(select(PosterCheck), PosterCheck)
            .where(PosterCheck.board_id == board_id)
            .order_by(PosterCheck.checked_at.desc(), PosterCheck.id.desc())
        )
    )


def _member(session: Session, ctx: CampaignContext, email: str) -> User:
    user = session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(campaign_filter(Membership, ctx), User.email == email.strip().lower())
    )
    if user is None:
        raise ReachError(
            f"« {email} » n'est pas membre de la campagne : ajoutez-le d'abord", loc="volunteer"
        )
    return user


def create_round(
    session: Session,
    ctx: CampaignContext,
    *,
    volunteer: str,
    day: date,
    commune: str | None = None,
    board_ids: Sequence[int] = (),
    name: str = "",
) -> PosterRound:
    """Give some boards (those listed, or every board of ``commune``) to a volunteer for a day."""
    ctx.require(*MANAGERS)
    user = _member(session, ctx, volunteer)
    boards = list_boards(session, ctx, commune=commune) if commune else []
    listed = {get_board(session, ctx, board_id).id for board_id in board_ids}
    ids = sorted({board.id for board in boards} | listed)
    if not ids:
        raise ReachError(
            "aucun panneau à vérifier : choisissez une commune qui a ses panneaux", loc="commune"
        )
    created = PosterRound(
        campaign_id=ctx.campaign_id,
        name=(name.strip() or f"Vérification des panneaux {commune or ''}".strip())[:200],
        board_ids=ids,
        user_id=user.id,
        day=day,
        created_by=ctx.actor.email,
    )
    session.add(created)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="reach.poster_round",
        campaign_id=ctx.campaign_id,
        target_type="poster_round",
        target_id=created.id,
        details={"boards": len(ids)},
    )
    return created


def get_round(session: Session, ctx: CampaignContext, round_id: int) -> PosterRound:
    found = session.scalar(
        ctx.scoped(select(PosterRound), PosterRound).where(PosterRound.id == round_id)
    )
    if found is None or not (
        ctx.role is Role.admin or ctx.role in MANAGERS or found.user_id == ctx.actor.user_id
    ):
        raise NotFound(f"tournée de vérification {round_id} introuvable", loc="round")
    return found


def list_rounds(session: Session, ctx: CampaignContext) -> list[tuple[PosterRound, User | None]]:
    query = (
        ctx.scoped(select(PosterRound), PosterRound)
        .add_columns(User)
        .outerjoin(User, User.id == PosterRound.user_id)
        .order_by(PosterRound.day.desc(), PosterRound.id.desc())
    )
    if not (ctx.role is Role.admin or ctx.role in MANAGERS):
        query = query.where(PosterRound.user_id == ctx.actor.user_id)
    return [(item, user) for item, user in session.execute(query).all()]


def round_boards(session: Session, ctx: CampaignContext, item: PosterRound) -> list[PosterBoard]:
    ids = list(item.board_ids or [])
    if not ids:
        return []
    return list(
        session.scalars(
            ctx.scoped(select(PosterBoard), PosterBoard)
            .where(PosterBoard.id.in_(ids))
            .order_by(PosterBoard.bureau)
        )
    )


def board_points(boards: Sequence[PosterBoard]) -> list[Any]:
    from circo.labels import label
    from circo.reach.pointmap import Point

    return [
        Point(
            lat=board.lat,
            lon=board.lon,
            colour=STATUS_COLOURS[str(board.status)],
            title=f"{board.bureau} {board.place} — {label(str(board.status), 'poster_status')}",
            size=6.0,
            label=board.bureau.split("_")[-1].lstrip("0"),
        )
        for board in boards
        if board.lat is not None and board.lon is not None
    ]


def board_json(board: PosterBoard) -> dict[str, Any]:
    return {
        "id": board.id,
        "commune": board.commune_code,
        "bureau": board.bureau,
        "place": board.place,
        "number": board.number,
        "status": str(board.status),
        "photo": bool(board.photo),
        "checked_at": board.checked_at.isoformat() if board.checked_at else None,
    }
