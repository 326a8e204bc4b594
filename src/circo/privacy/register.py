"""Processing purposes with their legal basis, and the record of processing activities
(registre des traitements, GDPR art. 30) generated from them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext
from circo.privacy.errors import PrivacyError
from circo.privacy.models import Purpose

LEGAL_BASES = {
    "consent": "consentement (art. 6.1.a)",
    "legitimate_interest": "intérêt légitime (art. 6.1.f)",
    "legal_obligation": "obligation légale (art. 6.1.c)",
    "explicit_consent": "consentement explicite (art. 9.2.a)",
    "political_body": "activités d'un organisme politique (art. 9.2.d)",
}

DEFAULT_PURPOSES: list[dict[str, Any]] = [
    {
        "code": "political_communication",
        "name": "Communication politique",
        "legal_basis": "consent",
        "description": "Informations sur la campagne par e-mail, SMS, téléphone ou courrier.",
        "data_categories": ["identité", "coordonnées", "consentements", "historique des envois"],
        "data_subjects": ["sympathisants", "contacts ayant donné leur accord"],
        "recipients": ["équipe de campagne habilitée", "prestataire d'envoi (sous-traitant)"],
        "retention": "3 ans après le dernier contact",
    },
    {
        "code": "supporters",
        "name": "Gestion des sympathisants et adhérents",
        "legal_basis": "legitimate_interest",
        "description": "Suivi des personnes en contact régulier avec la campagne.",
        "data_categories": ["identité", "coordonnées", "étiquettes", "notes"],
        "data_subjects": ["sympathisants", "adhérents", "donateurs"],
        "recipients": ["équipe de campagne habilitée"],
        "retention": "3 ans après le dernier contact",
    },
    {
        "code": "volunteers",
        "name": "Gestion des bénévoles et des équipes",
        "legal_basis": "legitimate_interest",
        "description": "Comptes, disponibilités, compétences, équipes, parcours d'intégration.",
        "data_categories": ["identité", "coordonnées", "disponibilités", "compétences"],
        "data_subjects": ["bénévoles"],
        "recipients": ["organisateurs"],
        "retention": "fin de la campagne + 1 an",
    },
    {
        "code": "events",
        "name": "Organisation d'événements (réunions, porte-à-porte, formations)",
        "legal_basis": "consent",
        "description": "Invitations, réponses, rappels, émargement à l'entrée.",
        "data_categories": ["identité", "coordonnées", "réponses", "présence"],
        "data_subjects": ["invités", "participants"],
        "recipients": ["organisateurs"],
        "retention": "3 ans après le dernier contact",
    },
    {
        "code": "canvassing",
        "name": "Porte-à-porte et questionnaires",
        "legal_basis": "legitimate_interest",
        "description": "Visites par adresse ; opinions politiques seulement avec consentement "
        "explicite, sinon agrégées au bureau de vote.",
        "data_categories": ["adresse", "résultat de la visite", "réponses (agrégées)"],
        "data_subjects": ["électeurs visités"],
        "recipients": ["bénévoles affectés au secteur", "organisateurs"],
        "retention": "fin de la campagne",
    },
    {
        "code": "political_opinions",
        "name": "Opinions politiques déclarées",
        "legal_basis": "explicit_consent",
        "description": "Réponses sensibles (art. 9) conservées sur la personne avec son accord.",
        "data_categories": ["opinions politiques"],
        "data_subjects": ["personnes ayant donné un consentement explicite"],
        "recipients": ["équipe de campagne habilitée"],
        "retention": "jusqu'au retrait du consentement, au plus 3 ans",
        "sensitive": True,
    },
    {
        "code": "electoral_roll",
        "name": "Liste électorale (Code électoral L37)",
        "legal_basis": "legal_obligation",
        "description": "Copie de la liste électorale obtenue en mairie, pour la communication "
        "politique uniquement : ni export, ni ciblage publicitaire, ni sélection par nom ou "
        "lieu de naissance.",
        "data_categories": ["identité", "date et lieu de naissance", "adresse", "bureau de vote"],
        "data_subjects": ["électeurs inscrits"],
        "recipients": ["équipe de campagne habilitée"],
        "retention": "6 mois après l'élection",
    },
    {
        "code": "emargement",
        "name": "Listes d'émargement (Code électoral L68)",
        "legal_basis": "legal_obligation",
        "description": "Relance des abstentionnistes entre les deux tours.",
        "data_categories": ["identité", "bureau de vote", "participation au 1er tour"],
        "data_subjects": ["électeurs inscrits"],
        "recipients": ["équipe de campagne habilitée"],
        "retention": "destruction après le second tour",
    },
    {
        "code": "campaign_finance",
        "name": "Financement de la campagne (Code électoral L52-4 à L52-12)",
        "legal_basis": "legal_obligation",
        "description": "Dons reçus par le mandataire financier, reçus-dons, dépenses et pièces, "
        "compte de campagne déposé à la CNCCFP.",
        "data_categories": ["identité", "adresse", "nationalité ou résidence", "montant des dons"],
        "data_subjects": ["donateurs"],
        "recipients": [
            "mandataire financier",
            "expert-comptable",
            "CNCCFP",
            "administration fiscale",
        ],
        "retention": "jusqu'au 31 décembre de la 6e année suivant l'élection",
    },
    {
        "code": "rights",
        "name": "Exercice des droits des personnes",
        "legal_basis": "legal_obligation",
        "description": "Demandes d'accès, rectification, effacement, opposition ; liste "
        "d'opposition conservée sous forme d'empreintes.",
        "data_categories": ["adresse de la demande", "empreinte e-mail/téléphone", "suivi"],
        "data_subjects": ["demandeurs"],
        "recipients": ["délégué à la protection des données"],
        "retention": "5 ans après la clôture de la demande",
    },
]


def ensure_purposes(session: Session, ctx: CampaignContext) -> list[Purpose]:
    """The campaign's purposes, created from the defaults the first time."""
    existing = {p.code: p for p in session.scalars(ctx.scoped(select(Purpose), Purpose))}
    for default in DEFAULT_PURPOSES:
        if default["code"] not in existing:
            purpose = Purpose(campaign_id=ctx.campaign_id, **default)
            session.add(purpose)
            existing[purpose.code] = purpose
    session.flush()
    order = {item["code"]: index for index, item in enumerate(DEFAULT_PURPOSES)}
    return sorted(existing.values(), key=lambda p: (order.get(p.code, 999), p.code))


def set_purpose(
    session: Session,
    ctx: CampaignContext,
    *,
    code: str,
    name: str,
    legal_basis: str,
    description: str = "",
    retention: str = "",
) -> Purpose:
    if legal_basis not in LEGAL_BASES:
        raise PrivacyError(
            f"base légale inconnue « {legal_basis} » (attendu : {', '.join(LEGAL_BASES)})",
            loc="legal_basis",
        )
    ensure_purposes(session, ctx)
    purpose = session.scalar(ctx.scoped(select(Purpose), Purpose).where(Purpose.code == code))
    if purpose is None:
        purpose = Purpose(campaign_id=ctx.campaign_id, code=code)
        session.add(purpose)
    purpose.name, purpose.legal_basis = name, legal_basis
    purpose.description, purpose.retention = description, retention
    session.flush()
    return purpose


def processing_register(session: Session, ctx: CampaignContext) -> list[dict[str, Any]]:
    """The registre des traitements: one entry per purpose."""
    campaign = ctx.campaign
    return [
        {
            "controller": campaign.name,
            "purpose": purpose.name,
            "code": purpose.code,
            "legal_basis": LEGAL_BASES.get(purpose.legal_basis, purpose.legal_basis),
            "description": purpose.description,
            "data_categories": purpose.data_categories,
            "data_subjects": purpose.data_subjects,
            "recipients": purpose.recipients,
            "retention": purpose.retention,
            "sensitive": purpose.sensitive,
            "transfers_outside_eu": "aucun",
            "security": "accès par rôle, journal d'audit des exports et lectures en masse, "
            "mots de passe argon2, sessions sécurisées",
        }
        for purpose in ensure_purposes(session, ctx)
    ]
