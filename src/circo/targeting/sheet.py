"""The "priority bureaux" section of the territory sheet (declared in the manifest)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.errors import CircoError
from circo.maps.hooks import SheetSection
from circo.targeting.preferences import load_choice
from circo.targeting.service import load_keys, parse_election_round, target_stations

SHOWN = 10


def priority_stations(
    session: Session, ctx: CampaignContext | None, territory_key: str
) -> SheetSection | None:
    """The campaign's saved targeting, restricted to the bureaux of the sheet's territory."""
    if ctx is None:
        return SheetSection(
            title="Bureaux prioritaires",
            paragraphs=[
                "Le classement des bureaux figure dans la fiche ouverte depuis une campagne."
            ],
        )
    choice = load_choice(ctx)
    if choice is None:
        return SheetSection(
            title="Bureaux prioritaires",
            paragraphs=[
                "Aucun ciblage enregistré : choisissez l'élection et le candidat dans Ciblage "
                "pour classer les bureaux de ce territoire."
            ],
        )
    try:
        election = parse_election_round(choice.election, option="election")
        report = target_stations(
            session,
            election=election,
            territory=choice.territory,
            candidate=choice.candidate,
            weights=choice.weights,
            informed_by=(
                parse_election_round(choice.transfers_from, option="transfers_from")
                if choice.transfers_from
                else None
            ),
        )
        inside = set(load_keys(session, election, territory_key))
    except CircoError as error:
        return SheetSection(
            title="Bureaux prioritaires",
            paragraphs=[
                f"Le ciblage enregistré ne s'applique pas à ce territoire : {error.message}"
            ],
        )
    rows = [row for row in report.rows() if row["station"] in inside][:SHOWN]
    section = SheetSection(
        title=f"Bureaux prioritaires — {report.candidate} ({report.election})",
        columns=["Rang", "Bureau", "Score", "Voix / 100 portes", "Raison"],
        rows=[
            [
                str(row["rank"]),
                row["station"],
                f"{row['score']:.2f}",
                f"{row['votes_per_100_doors']:.2f}",
                row["reason"],
            ]
            for row in rows
        ],
    )
    if not rows:
        section.paragraphs.append(
            f"Aucun bureau de ce territoire dans le ciblage de la campagne ({choice.territory})."
        )
    return section
