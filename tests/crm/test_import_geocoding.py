"""The contacts import locates the addresses it writes (offline BAN reference, then the bureau
of the nearest REU point) and says how many matched: in `circo contacts import` (JSON and
text, separate processes on both backends) and on the job's page."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core.models import Job
from circo.crm.models import Contact
from circo.runtime import Runtime
from circo.web.app import create_app
from tests.crm.helpers import CSV_HEADER, write_csv
from tests.factories import login
from tests.server import init_campaign, run_cli

BAN = (
    "id;numero;rep;nom_voie;code_postal;code_insee;nom_commune;lon;lat\n"
    "29039_a;12;;Rue de Brest;29900;29039;Concarneau;-3.913795;47.872888\n"
    "29039_b;3;;Rue Vauban;29900;29039;Concarneau;-3.917988;47.86938\n"
)


def test_import_reports_how_many_addresses_were_located(
    settings: Settings, runtime: Runtime, session: Session, shared_data: Path, tmp_path: Path
) -> None:
    email, password = init_campaign(settings, "geo")
    ban = tmp_path / "adresses-29.csv"
    ban.write_text(BAN, encoding="utf-8")
    reu = shared_data / "fr-reu-adresses-sample-29" / "addresses_sample.csv"
    loaded = run_cli(settings, "contacts", "geo-import", "--ban", str(ban), "--reu", str(reu))
    assert loaded.returncode == 0, loaded.stderr

    people = write_csv(
        tmp_path / "contacts.csv",
        [
            "Anne;Le Goff;anne@example.org;;12 r. de Brest;29900;Concarneau;oui;",
            "Yann;Riou;yann@example.org;;3 rue Vauban;29900;Concarneau;oui;",
            "Paul;Inconnu;paul@example.org;;99 chemin des Nuages;29900;Concarneau;oui;",
            "Sans;Adresse;sans@example.org;;;;;oui;",
        ],
        CSV_HEADER,
    )
    done = run_cli(settings, "contacts", "import", str(people), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["created"] == 4
    assert result["geocoding"] == {"considered": 3, "geocoded": 2, "stations": 2, "online": 0}
    located = {
        c.email: (c.commune_code, c.polling_station)
        for c in session.scalars(select(Contact).where(Contact.lat.is_not(None)))
    }
    assert located == {
        "anne@example.org": ("29039", "29039_0001"),
        "yann@example.org": ("29039", "29039_0001"),
    }
    session.rollback()  # the test's session holds no lock while the CLI writes

    one_more = write_csv(
        tmp_path / "more.csv", ["Lou;Kerv;lou@example.org;;12 rue de Brest;29900;;oui;"], CSV_HEADER
    )
    text = run_cli(settings, "contacts", "import", str(one_more))
    assert text.returncode == 0, text.stderr
    assert "adresses localisées : 1 sur 1, bureau de vote trouvé pour 1" in text.stderr.replace(
        "\n", " "
    )

    first_job = session.scalars(
        select(Job.id).where(Job.kind == "crm.import").order_by(Job.id)
    ).first()
    session.rollback()
    with TestClient(create_app(settings, runtime=runtime)) as client:
        login(client, email, password)
        page = client.get(f"/c/geo/jobs/{first_job}")
    assert page.status_code == 200
    assert "Adresses localisées : 2 sur 3, bureau de vote trouvé pour 2" in " ".join(
        page.text.split()
    )
