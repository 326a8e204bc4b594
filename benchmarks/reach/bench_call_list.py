"""Benchmark: a call list of N contacts built from a segment (issue 18: ≤ 5 s for 100 000).

    .venv/bin/python benchmarks/reach/bench_call_list.py --contacts 100000
    .venv/bin/python benchmarks/reach/bench_call_list.py --contacts 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/circo_bench_reach

Builds a fresh database (a SQLite file in a temporary folder, or the PostgreSQL database given,
which must exist and be empty), N contacts in one tagged segment — 60 % supporters (legitimate
interest), 20 % with a recorded phone consent, 15 % plain contacts (no basis), 5 % opposed —
then times `circo.reach.calls.create_call_list` (segment resolved, phone rights decided for
each contact, entries written) and its commit, as `circo calls create` does. Prints the figures
recorded in docs/benchmarks.md (reach).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, select

from circo.config import Settings
from circo.core.service import create_campaign
from circo.core.tenancy import system_context
from circo.crm.models import Contact, ContactTag, Tag
from circo.crm.schemas import SegmentFilter
from circo.crm.segments import create_segment
from circo.domains import load_domains
from circo.privacy.models import ConsentRecord, Opposition
from circo.reach.calls import create_call_list
from circo.runtime import open_runtime

CHUNK = 10_000


def seed(session: object, campaign_id: int, count: int) -> None:
    from sqlalchemy.orm import Session

    assert isinstance(session, Session)
    tag = Tag(campaign_id=campaign_id, name="phoning")
    session.add(tag)
    session.flush()
    for start in range(0, count, CHUNK):
        rows = []
        for index in range(start, min(start + CHUNK, count)):
            share = index % 20
            rows.append(
                {
                    "campaign_id": campaign_id,
                    "first_name": f"Prénom{index}",
                    "last_name": f"Nom{index}",
                    "phone": f"+336{index:08d}",
                    "relationship_kind": "supporter" if share < 12 else "contact",
                    "other_emails": [],
                    "other_phones": [],
                    "custom": {},
                    "search_name": f"nom{index} prenom{index}",
                    "search_name_rev": f"prenom{index} nom{index}",
                    "name_key": f"nom{index}",
                }
            )
        session.execute(insert(Contact), rows)
    ids = list(session.scalars(select(Contact.id).order_by(Contact.id)))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        session.execute(
            insert(ContactTag),
            [{"campaign_id": campaign_id, "contact_id": cid, "tag_id": tag.id} for cid in chunk],
        )
    consents, oppositions = [], []
    for position, contact_id in enumerate(ids):
        share = position % 20
        if 12 <= share < 16:
            consents.append(
                {
                    "campaign_id": campaign_id,
                    "contact_id": contact_id,
                    "channel": "phone",
                    "status": "granted",
                    "source": "formulaire",
                    "proof": {},
                    "actor": "bench",
                }
            )
        elif share == 19:
            oppositions.append(
                {
                    "campaign_id": campaign_id,
                    "contact_id": contact_id,
                    "channel": "phone",
                    "source": "appel",
                    "actor": "bench",
                }
            )
    for start in range(0, len(consents), CHUNK):
        session.execute(insert(ConsentRecord), consents[start : start + CHUNK])
    for start in range(0, len(oppositions), CHUNK):
        session.execute(insert(Opposition), oppositions[start : start + CHUNK])


def run(database_url: str | None, folder: Path, count: int) -> None:
    settings = Settings(
        data_dir=folder,
        database_url=database_url,
        secret_key="bench-secret-0123456789abcdef0123456789",
    )
    runtime = open_runtime(settings, migrate=True)
    with runtime.session() as session:
        campaign = create_campaign(session, slug="bench", name="Bench")
        ctx = system_context(campaign)
        started = time.perf_counter()
        seed(session, campaign.id, count)
        create_segment(session, ctx, name="Phoning", filters=SegmentFilter(tags=["phoning"]))
        session.commit()
        print(f"seed: {count} contacts in {time.perf_counter() - started:.1f} s")
    with runtime.session() as session:
        campaign = session.merge(campaign)
        ctx = system_context(campaign)
        started, cpu_started = time.perf_counter(), time.process_time()
        built = create_call_list(session, ctx, segment="Phoning")
        built_at = time.perf_counter()
        session.commit()
        done, cpu_done = time.perf_counter(), time.process_time()
        print(
            f"{runtime.engine.dialect.name}: call list of {built.contacts} contacts "
            f"(excluded {built.no_basis} no basis, {built.opposed} opposed) from {count}: "
            f"built {built_at - started:.2f} s, committed {done - started:.2f} s wall; "
            f"{cpu_done - cpu_started:.2f} s CPU of this process"
        )
    runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    load_domains()
    print(f"load average: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    with tempfile.TemporaryDirectory() as folder:
        run(args.database_url, Path(folder), args.contacts)


if __name__ == "__main__":
    main()
