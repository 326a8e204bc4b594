"""Business rules of the field domain: turf plans, turfs, assignments, questionnaires.

Visits and their sync live in `circo.field.visits`; the dashboard and the feedback to targeting
in `circo.field.dashboard`. Services take ``session`` then a `CampaignContext`; they flush.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circo.core import audit
from circo.core.models import Membership, Role, User
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import reading_only, write_intent
from circo.field import questionnaire as qn
from circo.field.errors import AssignmentNotFound, FieldError, TurfNotFound
from circo.field.models import Assignment, Questionnaire, Turf, TurfPlan, TurfStop, Visit
from circo.field.outline import bureau_outline
from circo.field.turfs import plan as cutting

ORGANISER_ROLES = (Role.organiser, Role.data)
Q = TypeVar("Q")


def scoped(ctx: CampaignContext, query: Q, model: Any) -> Q:
    """``ctx.scoped`` for any select (also multi-column ones, which its type bound refuses)."""
    return cast(Q, cast(Any, query).where(campaign_filter(model, ctx)))


def _is_volunteer(ctx: CampaignContext) -> bool:
    return ctx.role is Role.volunteer


# --- turf plans ------------------------------------------------------------------------------


def create_plan(
    session: Session,
    ctx: CampaignContext,
    *,
    addresses: Sequence[cutting.Address],
    doors_per_turf: int,
    source: str,
    name: str | None = None,
    election_key: str | None = None,
    bureaux: Sequence[str] = (),
) -> TurfPlan:
    """Cut ``addresses`` into turfs and store the plan, its turfs and their stops."""
    ctx.require(*ORGANISER_ROLES)
    if doors_per_turf < 1:
        raise FieldError(
            f"nombre de portes par secteur invalide : {doors_per_turf} (ex. 50)",
            loc="--doors-per-turf",
        )
    try:
        cut = cutting.cut_turfs(list(addresses), doors_per_turf=doors_per_turf)
    except cutting.TurfInputError as exc:
        raise FieldError(exc.message, loc=exc.loc) from None
    plan = TurfPlan(
        campaign_id=ctx.campaign_id,
        name=name or f"Découpage {len(cut.turfs)} secteurs",
        source=source,
        election_key=election_key,
        bureaux=sorted(set(bureaux) or {a.bureau for a in addresses if a.bureau}),
        doors_per_turf=doors_per_turf,
        summary=cut.summary(),
        unassigned=list(cut.unassigned),
        created_by=ctx.actor.email,
    )
    session.add(plan)
    session.flush()
    for number, turf in enumerate(cut.turfs, start=1):
        _store_turf(session, ctx, plan, turf, number)
    session.flush()
    audit.record(
        session,
        actor=ctx.actor,
        action="field.plan",
        campaign_id=ctx.campaign_id,
        target_type="turf_plan",
        target_id=plan.id,
        details={"turfs": len(cut.turfs), "source": source, "doors_per_turf": doors_per_turf},
    )
    # The door questionnaire exists before any volunteer opens the app (not made by a read).
    ensure_questionnaire(session, ctx.campaign_id)
    return plan


def _store_turf(
    session: Session, ctx: CampaignContext, plan: TurfPlan, turf: cutting.Turf, number: int
) -> Turf:
    coordinates = [[a.lon, a.lat] for a in turf.addresses]
    row = Turf(
        campaign_id=ctx.campaign_id,
        plan_id=plan.id,
        code=f"P{plan.id}-{turf.id}",
        name=f"Secteur {number}" + (f" — bureau {turf.bureau}" if turf.bureau else ""),
        bureau=turf.bureau,
        doors=turf.doors,
        walk_m=round(turf.walk_m, 1),
        route={"type": "LineString", "coordinates": coordinates},
    )
    session.add(row)
    session.flush()
    session.add_all(
        TurfStop(
            campaign_id=ctx.campaign_id,
            turf_id=row.id,
            position=position,
            address_ref=address.id,
            label=(address.label or address.street or "")[:300],
            street=address.street,
            lat=address.lat,
            lon=address.lon,
            dwellings=address.dwellings,
        )
        for position, address in enumerate(turf.addresses)
    )
    return row


def list_plans(session: Session, ctx: CampaignContext) -> list[TurfPlan]:
    return list(session.scalars(ctx.scoped(select(TurfPlan), TurfPlan).order_by(TurfPlan.id)))


def delete_plan(session: Session, ctx: CampaignContext, *, plan_id: int) -> None:
    ctx.require(*ORGANISER_ROLES)
    session.execute(delete(TurfPlan).where(TurfPlan.id == plan_id, campaign_filter(TurfPlan, ctx)))
    session.flush()


# --- turfs -----------------------------------------------------------------------------------


def assigned_turf_ids(session: Session, ctx: CampaignContext, *, user_id: int) -> set[int]:
    """Turfs given to this user, directly or through a whole-bureau assignment (not cancelled)."""
    rows = session.execute(
        scoped(ctx, select(Assignment.turf_id, Assignment.bureau), Assignment).where(
            Assignment.user_id == user_id, Assignment.status != "cancelled"
        )
    ).all()
    turf_ids = {turf_id for turf_id, _bureau in rows if turf_id is not None}
    bureaux = {bureau for turf_id, bureau in rows if turf_id is None and bureau}
    if bureaux:
        turf_ids.update(
            session.scalars(
                ctx.scoped(select(Turf.id), Turf).where(Turf.bureau.in_(sorted(bureaux)))
            )
        )
    return turf_ids


def visible_turfs(session: Session, ctx: CampaignContext) -> list[Turf]:
    """Every turf for organisers; for a volunteer, only the turfs assigned to them."""
    query = ctx.scoped(select(Turf), Turf).order_by(Turf.plan_id, Turf.id)
    if _is_volunteer(ctx):
        ids = assigned_turf_ids(session, ctx, user_id=_user_id(ctx))
        query = query.where(Turf.id.in_(sorted(ids)))
    return list(session.scalars(query))


def _user_id(ctx: CampaignContext) -> int:
    if ctx.actor.user_id is None:
        raise FieldError("action réservée à un utilisateur connecté", status=403)
    return ctx.actor.user_id


def get_turf(session: Session, ctx: CampaignContext, *, turf_id: int) -> Turf:
    """A turf of the campaign; 404 for another campaign's or, for a volunteer, an unassigned one."""
    turf = session.scalar(ctx.scoped(select(Turf), Turf).where(Turf.id == turf_id))
    if turf is None or (
        _is_volunteer(ctx) and turf.id not in assigned_turf_ids(session, ctx, user_id=_user_id(ctx))
    ):
        raise TurfNotFound(f"secteur {turf_id} introuvable", loc="turf")
    return turf


def find_turf(session: Session, ctx: CampaignContext, *, reference: str) -> Turf:
    """A turf by id (``12``) or code (``P1-T-29039_1-02``)."""
    query = ctx.scoped(select(Turf), Turf)
    if reference.isdigit():
        query = query.where(or_(Turf.id == int(reference), Turf.code == reference))
    else:
        query = query.where(Turf.code == reference)
    turf = session.scalar(query)
    if turf is None:
        raise TurfNotFound(
            f"secteur « {reference} » introuvable (attendu un numéro ou un code, "
            "voir `circo field turfs`)",
            loc="TURF_ID",
        )
    return get_turf(session, ctx, turf_id=turf.id)


def turf_stops(session: Session, ctx: CampaignContext, *, turf_id: int) -> list[TurfStop]:
    return list(
        session.scalars(
            ctx.scoped(select(TurfStop), TurfStop)
            .where(TurfStop.turf_id == turf_id)
            .order_by(TurfStop.position)
        )
    )


def as_cutting_turf(turf: Turf, stops: Sequence[TurfStop]) -> cutting.Turf:
    """The stored turf as the cutting library's `Turf` (for the SVG sketch)."""
    return cutting.Turf(
        id=turf.code,
        bureau=turf.bureau,
        addresses=tuple(
            cutting.Address(s.address_ref, s.lat, s.lon, s.dwellings, turf.bureau, s.street)
            for s in stops
        ),
        doors=turf.doors,
        walk_m=turf.walk_m,
    )


def walk_list(session: Session, ctx: CampaignContext, *, turf_id: int) -> dict[str, Any]:
    """The walk list as JSON for the phone: the turf, its stops in order, done stops."""
    turf = get_turf(session, ctx, turf_id=turf_id)
    stops = turf_stops(session, ctx, turf_id=turf.id)
    visited = dict(
        session.execute(
            scoped(ctx, select(Visit.stop_id, func.count()), Visit)
            .where(Visit.turf_id == turf.id, Visit.stop_id.is_not(None))
            .group_by(Visit.stop_id)
        ).all()
    )
    return {
        "id": turf.id,
        "code": turf.code,
        "name": turf.name,
        "bureau": turf.bureau,
        "doors": turf.doors,
        "walk_m": turf.walk_m,
        "outline": bureau_outline(session, bureau=turf.bureau),
        "stops": [
            {
                "id": stop.id,
                "position": stop.position + 1,
                "ref": stop.address_ref,
                "label": stop.label,
                "lat": stop.lat,
                "lon": stop.lon,
                "dwellings": stop.dwellings,
                "visits": int(visited.get(stop.id, 0)),
            }
            for stop in stops
        ],
    }


# --- assignments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentView:
    assignment: Assignment
    turf: Turf | None
    user: User | None


def _member(session: Session, ctx: CampaignContext, *, email: str) -> User:
    user = session.scalar(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(campaign_filter(Membership, ctx), User.email == email.strip().lower())
    )
    if user is None:
        raise FieldError(
            f"« {email} » n'est pas membre de la campagne : ajoutez-le d'abord "
            "(`circo users add EMAIL --role volunteer`)",
            loc="volunteer",
        )
    return user


def assign(
    session: Session,
    ctx: CampaignContext,
    *,
    day: date,
    turf_id: int | None = None,
    bureau: str | None = None,
    user_email: str | None = None,
    user_id: int | None = None,
    team_id: int | None = None,
    note: str = "",
) -> Assignment:
    """Give a turf (or a whole bureau) to a volunteer or a team for ``day``; queue the alert."""
    ctx.require(Role.organiser, Role.data)
    if (turf_id is None) == (bureau is None):
        raise FieldError("précisez un secteur ou un bureau entier (l'un des deux)", loc="turf")
    if turf_id is not None:
        get_turf(session, ctx, turf_id=turf_id)
    elif not session.scalar(ctx.scoped(select(Turf.id), Turf).where(Turf.bureau == bureau)):
        raise TurfNotFound(f"aucun secteur découpé dans le bureau « {bureau} »", loc="bureau")
    if user_email:
        user_id = _member(session, ctx, email=user_email).id
    elif user_id is not None:
        user_id = _check_member_id(session, ctx, user_id)
    if (user_id is None) == (team_id is None):
        raise FieldError("précisez un·e bénévole ou une équipe (l'un des deux)", loc="volunteer")
    if team_id is not None:
        from circo.crm.volunteers import get_team

        get_team(session, ctx, team_id)  # 404 for a team of another campaign
    assignment = Assignment(
        campaign_id=ctx.campaign_id,
        turf_id=turf_id,
        bureau=bureau,
        user_id=user_id,
        team_id=team_id,
        day=day,
        note=note,
        created_by=ctx.actor.email,
    )
    session.add(assignment)
    session.flush()
    from circo.field.alerts import queue_alert

    queue_alert(session, ctx, assignment=assignment)
    return assignment


def _check_member_id(session: Session, ctx: CampaignContext, user_id: int) -> int:
    found = session.scalar(
        select(Membership.user_id).where(
            campaign_filter(Membership, ctx), Membership.user_id == user_id
        )
    )
    if found is None:
        raise FieldError(
            f"utilisateur {user_id} inconnu dans cette campagne", loc="user_id", status=404
        )
    return int(found)


def cancel_assignment(session: Session, ctx: CampaignContext, *, assignment_id: int) -> None:
    ctx.require(Role.organiser, Role.data)
    assignment = session.scalar(
        ctx.scoped(select(Assignment), Assignment).where(Assignment.id == assignment_id)
    )
    if assignment is None:
        raise AssignmentNotFound(f"affectation {assignment_id} introuvable", loc="assignment")
    assignment.status = "cancelled"
    session.flush()


def list_assignments(
    session: Session, ctx: CampaignContext, *, user_id: int | None = None
) -> list[AssignmentView]:
    query = (
        scoped(ctx, select(Assignment, Turf, User), Assignment)
        .outerjoin(Turf, Turf.id == Assignment.turf_id)
        .outerjoin(User, User.id == Assignment.user_id)
        .where(Assignment.status != "cancelled")
        .order_by(Assignment.day, Assignment.id)
    )
    if user_id is not None:
        query = query.where(Assignment.user_id == user_id)
    return [AssignmentView(a, t, u) for a, t, u in session.execute(query).all()]


# --- questionnaire ---------------------------------------------------------------------------


def _find_active(session: Session, campaign_id: int) -> Questionnaire | None:
    return session.scalar(
        select(Questionnaire)
        .where(campaign_filter(Questionnaire, campaign_id), Questionnaire.active.is_(True))
        .order_by(Questionnaire.id.desc())
        .limit(1)  # without it the ORM builds every row before `scalar` keeps the first
    )


def national_questionnaires(
    session: Session, ctx: CampaignContext
) -> list[tuple[str, Questionnaire]]:
    """The active questionnaires of the campaigns above this one in the movement
    (`circo.party.sharing.shared_campaign_ids`), with the name of each holder: read-only here
    (`save_questionnaire` only ever writes the campaign's own)."""
    from circo.core.models import Campaign
    from circo.party.sharing import shared_campaign_ids

    found = []
    for campaign_id in shared_campaign_ids(session, ctx.campaign_id):
        questionnaire = _find_active(session, campaign_id)
        campaign = session.get(Campaign, campaign_id)
        if questionnaire is not None and campaign is not None:
            found.append((campaign.name, questionnaire))
    return found


def _default_questionnaire(campaign_id: int) -> Questionnaire:
    return Questionnaire(
        campaign_id=campaign_id,
        name=qn.DEFAULT_NAME,
        questions=qn.DEFAULT_QUESTIONS,
        recontact_wording=qn.DEFAULT_RECONTACT_WORDING,
        opinion_consent_wording=qn.DEFAULT_OPINION_WORDING,
    )


def ensure_questionnaire(session: Session, campaign_id: int) -> Questionnaire:
    """Get or create the campaign's active questionnaire in the session's transaction. Two
    transactions creating it at once cannot both succeed (unique index): the loser reads the
    winner's."""
    found = _find_active(session, campaign_id)
    if found is not None:
        return found
    created = _default_questionnaire(campaign_id)
    try:
        with session.begin_nested():
            session.add(created)
            session.flush()
    except IntegrityError:
        found = _find_active(session, campaign_id)
        if found is None:
            raise
        return found
    return created


def active_questionnaire(session: Session, ctx: CampaignContext) -> Questionnaire:
    """The campaign's active questionnaire. The default one is made with the first turf plan
    (`create_plan`); a campaign without one gets it on first use — on a page read (GET on
    SQLite) in its own short write transaction, so the read never turns into a write that
    could fail under another writer."""
    found = _find_active(session, ctx.campaign_id)
    if found is not None:
        return found
    bind = session.get_bind()
    if not (reading_only() and bind.dialect.name == "sqlite"):
        return ensure_questionnaire(session, ctx.campaign_id)
    session.commit()  # end the read, so the next one sees the row written below
    with write_intent(True), Session(bind) as own:
        try:
            ensure_questionnaire(own, ctx.campaign_id)
            own.commit()
        except IntegrityError:  # created meanwhile by another process
            own.rollback()
    found = _find_active(session, ctx.campaign_id)
    if found is None:  # pragma: no cover - the row was just committed
        raise FieldError("questionnaire introuvable", loc="questionnaire", status=503)
    return found


def save_questionnaire(
    session: Session,
    ctx: CampaignContext,
    *,
    name: str,
    questions: list[dict[str, Any]],
    recontact_wording: str | None = None,
    opinion_consent_wording: str | None = None,
) -> Questionnaire:
    """Replace the active questionnaire by a new version (old visits keep theirs)."""
    ctx.require(Role.organiser, Role.data)
    clean = qn.validate_questions(questions)
    current = active_questionnaire(session, ctx)
    current.active = False
    session.flush()  # before the new one is inserted: one active questionnaire at a time
    created = Questionnaire(
        campaign_id=ctx.campaign_id,
        name=name or qn.DEFAULT_NAME,
        questions=clean,
        recontact_wording=recontact_wording or current.recontact_wording,
        opinion_consent_wording=opinion_consent_wording or current.opinion_consent_wording,
    )
    session.add(created)
    session.flush()
    return created


def questionnaire_json(questionnaire: Questionnaire) -> dict[str, Any]:
    return {
        "id": questionnaire.id,
        "name": questionnaire.name,
        "outcomes": [{"value": key, "label": label} for key, label in qn.OUTCOMES.items()],
        "questions": questionnaire.questions,
        "recontact_wording": questionnaire.recontact_wording,
        "opinion_consent_wording": questionnaire.opinion_consent_wording,
    }
