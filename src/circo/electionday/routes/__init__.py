"""Election-day pages and API (a package by role): results night (`night`: the live
aggregation, the HQ screen, the exports, the phone entry of a PV and its photo) and the people
of the day (`people`: procurations, assesseurs and délégués)."""

from fastapi import APIRouter

from circo.core.models import Role
from circo.electionday.routes import night, people
from circo.web.registry import NavItem

NAV_ITEMS = [
    NavItem("Soirée électorale", "night", roles=(Role.data, Role.organiser, Role.comms),
            order=48, group="Terrain"),
    NavItem("Saisir un procès-verbal", "night/pv/", order=49, group="Terrain"),
    NavItem("Procurations", "procurations", roles=(Role.organiser, Role.data), order=47,
            group="Terrain"),
    NavItem("Procuration : demande ou offre", "procurations/new", order=47, group="Terrain"),
    NavItem("Assesseurs et délégués", "assessors", roles=(Role.organiser, Role.data),
            order=46, group="Terrain"),
    NavItem("Être assesseur ou délégué", "assessors/mine", order=46, group="Terrain"),
]  # fmt: skip

router = APIRouter()
router.include_router(night.router)
router.include_router(people.router)
