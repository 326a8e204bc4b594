"""Benchmark: N personalised emails rendered and handed to a local SMTP server (aiosmtpd).

    .venv/bin/python benchmarks/messaging/bench_send.py --contacts 50000

Builds a fresh SQLite data dir in a temporary folder, N contacts with a recorded email consent
(imported from a CSV with a consent column by the crm importer), then times
`circo.messaging.service.start_send` (recipients decided, delivery rows written) and the
send job (render, hand over to SMTP, commit each delivery with its state machine).
Prints the figures recorded in docs/benchmarks.md (messaging).
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from circo.config import Settings
from circo.core.jobs import run_pending
from circo.core.service import create_campaign
from circo.core.tenancy import system_context
from circo.crm.importer.commit import commit_import
from circo.crm.importer.mapping import suggest_mapping
from circo.crm.importer.reading import read_bytes
from circo.messaging import delivery, service
from circo.runtime import open_runtime

BODY = (
    "Bonjour {{ prenom }},\n\nÀ {{ commune }}, dans le bureau {{ bureau }}, nous défendons "
    "{{ point }} : {{ point_texte }}\n\nRetrouvez le programme : https://example.org/programme"
)


class Counter:
    def __init__(self) -> None:
        self.accepted = 0
        self.recipients: set[str] = set()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.accepted += 1
        self.recipients.update(envelope.rcpt_tos)  # type: ignore[attr-defined]
        return "250 OK"


def smtp_server(port: int, ready: Any, stop: Any, results: Any) -> None:
    """aiosmtpd in its own process (as a real SMTP server would be); reports its counts."""
    counter = Counter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    results.put((counter.accepted, len(counter.recipients)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=50_000)
    parser.add_argument("--port", type=int, default=8025)
    args = parser.parse_args()
    ready, stop, results = multiprocessing.Event(), multiprocessing.Event(), multiprocessing.Queue()
    server = multiprocessing.Process(target=smtp_server, args=(args.port, ready, stop, results))
    server.start()
    ready.wait(30)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            data_dir=Path(folder),
            secret_key="bench-secret-0123456789abcdef0123456789",
            smtp_host="127.0.0.1",
            smtp_port=args.port,
        )
        runtime = open_runtime(settings, migrate=True)
        started = time.perf_counter()
        csv_lines = ["Prénom,Nom,Email,Commune,Bureau,Consentement email"]
        csv_lines += [
            f"Prénom{index},Nom{index},p{index}@example.org,Lyon,{index % 300 + 1:04d},oui"
            for index in range(args.contacts)
        ]
        parsed = read_bytes("\n".join(csv_lines).encode(), filename="contacts.csv")
        with runtime.session() as session:
            campaign = create_campaign(session, slug="bench", name="Benchmark")
            ctx = system_context(campaign)
            commit_import(session, ctx, parsed, suggest_mapping(parsed.headers), source="bench")
            point = service.add_point(
                session, ctx, title="Petite enfance", summary="une place en crèche pour chacun"
            )
            service.set_cell(session, ctx, segment="all", point_id=point.id, on=True)
        setup = time.perf_counter() - started
        print(f"setup: {args.contacts} contacts with consent in {setup:.1f} s (not timed below)")

        started = time.perf_counter()
        with runtime.session() as session:
            ctx = system_context(session.merge(campaign))
            message = service.start_send(
                session,
                ctx,
                settings,
                draft=service.Draft(
                    channel="email",
                    segment="all",
                    subject="{{ prenom }}, {{ point }}",
                    body=BODY,
                    rate_per_second=0.0,
                ),
            )
            message_id = message.id
        queued = time.perf_counter() - started
        started = time.perf_counter()
        run_pending(runtime.factory, settings, kinds={service.SEND_JOB})
        sent_seconds = time.perf_counter() - started
        with runtime.session() as session:
            result = service.outcome(session, session.get(delivery.MessageCampaign, message_id))
        runtime.close()
    stop.set()
    accepted, distinct = results.get(timeout=60)
    server.join(30)
    total = queued + sent_seconds
    print(f"queue (decide {args.contacts} recipients, write delivery rows): {queued:.1f} s")
    print(f"send job (render + SMTP + state commits per group of 10): {sent_seconds:.1f} s")
    print(
        f"total: {total:.1f} s — {result['sent'] / total:.0f} emails/s overall, "
        f"{result['sent'] / sent_seconds:.0f} emails/s in the send job"
    )
    print(f"outcome: {result}")
    print(f"SMTP server accepted {accepted} messages for {distinct} distinct recipients")


if __name__ == "__main__":
    main()
