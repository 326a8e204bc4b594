"""Contacts get their bureau from the REU addresses already imported for the territory
(`circo import reu`, the elections domain's table) — no second REU import for the contacts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.crm import geocode
from circo.elections.geography import import_reu
from tests.crm.helpers import ctx_of, make_contact
from tests.factories import make_campaign


def test_geocoding_uses_the_reu_addresses_of_the_elections_import(
    session: Session, settings: Settings, shared_data: Path, tmp_path: Path
) -> None:
    ctx = ctx_of(make_campaign(session))
    ban = tmp_path / "adresses-29.csv"
    ban.write_text(
        "id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat\n"
        "29039_a;12;;Rue de Brest;29900;29039;Concarneau;-3.913795;47.872888\n",
        encoding="utf-8",
    )
    assert geocode.import_ban(session, ban) == 1
    contact = make_contact(session, ctx, address_line="12 r. de Brest", postal_code="29900")
    before = geocode.geocode_contacts(session, ctx, settings)
    assert (before.geocoded, before.stations) == (1, 0)  # no REU point anywhere yet

    import_reu(session, path=shared_data / "fr-reu-adresses-sample-29" / "addresses_sample.csv")
    after = geocode.geocode_contacts(session, ctx, settings, only_missing=False)
    assert (after.geocoded, after.stations) == (1, 1)
    assert contact.commune_code == "29039"
    assert contact.polling_station == "29039_0001"
