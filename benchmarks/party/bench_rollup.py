"""Benchmark of the national roll-up: 600 nodes, 2 million contacts, on PostgreSQL.

    .venv/bin/python benchmarks/party/bench_rollup.py \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/circo_bench_party] \
        [--federations 99] [--locals 500] [--contacts 2000000] [--runs 7]

The database named in the URL is dropped and recreated, migrated (`circo.db.upgrade`), then:
1. the tree through the services (`create_campaign`, `circo.party.tree.create_group`): one
   national node, F federations, L local groups each running a campaign (1 + F + L nodes);
2. the rows with ``INSERT … SELECT generate_series`` spread over the L campaigns: contacts,
   doors knocked (a fifth of the contacts, in bureaux 0001–0030), donations (2 %), one active
   volunteer, ten events and one turf plan of 40 priority bureaux (0001–0040) per campaign;
   then ``VACUUM ANALYZE``;
3. the national roll-up (`circo.party.rollup.rollup`, what `circo rollup --group national`
   and `/g/national/` run) ``--runs`` times, each in a fresh session: min, median, max; and
   once through the real CLI (`circo rollup --group national --json`, process start included).
Prints one JSON object with the figures and the machine's load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/circo_bench_party"


def recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres", drivername="postgresql").render_as_string(
        hide_password=False
    )
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{parsed.database}"')


def build_tree(factory: Any, federations: int, locals_: int) -> list[int]:
    from circo.core.service import create_campaign
    from circo.party.tree import create_group

    campaign_ids = []
    with factory() as session:
        create_group(session, name="National", slug="national")
        for f in range(federations):
            create_group(
                session, name=f"Fédération {f:02d}", slug=f"fede-{f:02d}", parent="national"
            )
        for n in range(locals_):
            slug = f"local-{n:03d}"
            campaign = create_campaign(session, slug=slug, name=f"Campagne {n:03d}")
            create_group(
                session,
                name=f"Groupe {n:03d}",
                slug=slug,
                parent=f"fede-{n % federations:02d}",
                campaign=slug,
            )
            campaign_ids.append(campaign.id)
        session.commit()
    return campaign_ids


FILL = [
    """INSERT INTO crm_contacts (campaign_id, first_name, last_name, other_emails, other_phones,
         relationship_kind, custom, search_name, search_name_rev, name_key, created_at,
         updated_at, last_activity_at)
       SELECT ids[1 + g % cardinality(ids)], 'Prénom', 'Nom ' || g, '[]', '[]', 'contact', '{}',
              'nom ' || g, 'prenom nom ' || g, 'nom', now(), now(), now()
       FROM generate_series(1, :contacts) AS g,
            (SELECT array_agg(id ORDER BY id) AS ids FROM campaigns) AS c""",
    """INSERT INTO field_visits (campaign_id, idempotency_key, door, outcome, answered, answers,
         visited_at, synced_at, bureau)
       SELECT ids[1 + g % cardinality(ids)], 'v' || g, '',
              (ARRAY['talked', 'absent', 'refused'])[1 + g % 3], false, '{}', now(), now(),
              lpad((1 + (g / cardinality(ids)) % 30)::text, 4, '0')
       FROM generate_series(1, :contacts / 5) AS g,
            (SELECT array_agg(id ORDER BY id) AS ids FROM campaigns) AS c""",
    """INSERT INTO fin_donations (campaign_id, election_key, donor_kind, donor_key, first_name,
         last_name, party_name, email, address, nationality, resident, amount_cents, method,
         received_on, cancelled, created_at)
       SELECT ids[1 + g % cardinality(ids)], 'leg-2027', 'person', 'd|' || g, 'Prénom',
              'Nom', '', '', '', 'FR', true, 1000 + g % 50000, 'cheque', current_date,
              g % 40 = 0, now()
       FROM generate_series(1, :contacts / 50) AS g,
            (SELECT array_agg(id ORDER BY id) AS ids FROM campaigns) AS c""",
    """INSERT INTO crm_volunteers (campaign_id, user_id, display_name, availability, skills,
         onboarding, status, created_at)
       SELECT c.id, u.id, 'Bénévole', '{}', '[]', '{}', 'active', now()
       FROM campaigns AS c, (SELECT min(id) AS id FROM users) AS u""",
    """INSERT INTO field_turf_plans (campaign_id, name, source, bureaux, doors_per_turf, summary,
         unassigned, created_by, created_at)
       SELECT c.id, 'Plan', 'csv',
              (SELECT json_agg(lpad(b::text, 4, '0')) FROM generate_series(1, 40) AS b), 50,
              '{}', '[]', 'system', now()
       FROM campaigns AS c""",
    """INSERT INTO crm_events (campaign_id, kind, title, starts_at, place, description,
         reminder_hours, created_at)
       SELECT c.id, 'meeting', 'Réunion', now(), '', '', 24, now()
       FROM campaigns AS c, generate_series(1, 10) AS g""",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--federations", type=int, default=99)
    parser.add_argument("--locals", type=int, default=500)
    parser.add_argument("--contacts", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    from sqlalchemy.orm import sessionmaker

    from circo.core.service import create_user
    from circo.db import make_engine, upgrade
    from circo.domains import load_domains
    from circo.party.rollup import rollup
    from circo.party.tree import find_group

    load_domains()
    recreate_database(args.database_url)
    engine = make_engine(args.database_url)
    upgrade(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    started = time.perf_counter()
    build_tree(factory, args.federations, args.locals)
    with factory() as session:
        create_user(session, email="benevole@example.org", password="x" * 12, name="B")
        session.commit()
    tree_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as connection:
        for statement in FILL:
            connection.execute(text(statement), {"contacts": args.contacts})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    fill_seconds = time.perf_counter() - started

    timings = []
    result = None
    for _ in range(args.runs):
        with factory() as session:
            began = time.perf_counter()
            result = rollup(session, find_group(session, "national"))
            timings.append(time.perf_counter() - began)
    assert result is not None
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "CIRCO_DATA_DIR": data_dir, "CIRCO_DATABASE_URL": args.database_url}
        began = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "circo", "rollup", "--group", "national", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        cli_seconds = time.perf_counter() - began
    assert json.loads(done.stdout)["totals"] == result["totals"]
    print(
        json.dumps(
            {
                "backend": engine.dialect.name,
                "nodes": result["nodes"],
                "campaigns": result["campaigns"],
                "totals": result["totals"],
                "build_tree_s": round(tree_seconds, 1),
                "fill_s": round(fill_seconds, 1),
                "rollup_s": {
                    "min": round(min(timings), 3),
                    "median": round(statistics.median(timings), 3),
                    "max": round(max(timings), 3),
                    "runs": len(timings),
                },
                "cli_rollup_s": round(cli_seconds, 2),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "python": sys.version.split()[0],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
