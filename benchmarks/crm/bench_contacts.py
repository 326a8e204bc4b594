"""Benchmark of the contact base at 100 000 contacts (SQLite by default).

    .venv/bin/python benchmarks/crm/bench_contacts.py [--contacts 100000] [--database-url URL]

1. import: a generated 100 000-row CSV (French headers, consent column, tags, ~3 % duplicates)
   through `circo contacts import` (the real CLI, one transaction);
2. duplicate detection over the whole base (`refresh_duplicates`, blocking + rapidfuzz);
3. name search: median and p95 of 200 prefix searches (`search_contacts`, 50 results).
Prints one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

FIRST_NAMES = [
    "Jean",
    "Marie",
    "Pierre",
    "Nathalie",
    "Michel",
    "Isabelle",
    "Philippe",
    "Sylvie",
    "Alain",
    "Catherine",
    "Nicolas",
    "Sophie",
    "Julien",
    "Camille",
    "Léa",
    "Hugo",
    "Chloé",
    "Lucas",
    "Emma",
    "Louis",
    "Inès",
    "Gabriel",
    "Jade",
    "Arthur",
    "Zoé",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Thomas",
    "Petit",
    "Robert",
    "Richard",
    "Durand",
    "Dubois",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Lefèvre",
    "Leroy",
    "Roux",
    "David",
    "Bertrand",
    "Morel",
    "Fournier",
    "Girard",
    "Bonnet",
    "Dupont",
    "Lambert",
    "Fontaine",
    "Rousseau",
    "Vincent",
    "Muller",
    "Lefebvre",
    "Faure",
    "André",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Garnier",
    "Chevalier",
    "François",
    "Legrand",
    "Gauthier",
    "Garcia",
    "Perrin",
    "Robin",
    "Clément",
    "Morin",
    "Nicolas",
    "Henry",
    "Roussel",
]
STREETS = [
    "rue de la République",
    "avenue Jean Jaurès",
    "boulevard Voltaire",
    "rue Victor Hugo",
    "place de la Mairie",
    "rue Pasteur",
    "chemin des Vignes",
    "allée des Tilleuls",
    "rue du Moulin",
    "impasse des Lilas",
    "rue de Paris",
    "avenue de la Gare",
]
POSTAL = [f"690{n:02d}" for n in range(1, 10)] + ["69100", "69200", "69300", "69500", "69600"]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            "Prénom;Nom;Email;Téléphone;Adresse;Code postal;Commune;"
            "Consentement email: oui/non;Tags\n"
        )
        for index in range(rows):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if rng.random() < 0.03 and index > 10:  # a typo'd near-duplicate of someone
                last = last[:-1] + rng.choice("aeiou")
            suffix = f"{last[:6].lower()}.{index}"
            email = f"{first[:1].lower()}.{suffix}@example.org" if rng.random() < 0.8 else ""
            phone = f"06{index:08d}" if rng.random() < 0.6 else ""
            number = rng.randint(1, 180)
            postal = rng.choice(POSTAL)
            consent = rng.choice(["oui", "non", ""])
            tags = rng.choice(["", "parents", "commerçants", "parents, quartier"])
            handle.write(
                f"{first};{last};{email};{phone};{number} {rng.choice(STREETS)};"
                f"{postal};Lyon;{consent};{tags}\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="circo-bench-crm-"))
    os.environ["CIRCO_DATA_DIR"] = str(folder / "data")
    os.environ["CIRCO_SECRET_KEY"] = "benchmark-secret-key-0123456789abcdef"
    if args.database_url:
        os.environ["CIRCO_DATABASE_URL"] = args.database_url
    from typer.testing import CliRunner

    from circo.cli import app
    from circo.cli_common import campaign_session
    from circo.crm.contacts import count_contacts, search_contacts
    from circo.crm.dedup import refresh_duplicates

    runner = CliRunner()
    init = runner.invoke(app, ["init", "--campaign", "bench"])
    assert init.exit_code == 0, init.output
    csv_path = folder / "contacts.csv"
    generate(csv_path, args.contacts)
    started = time.perf_counter()
    result = runner.invoke(app, ["contacts", "import", str(csv_path), "--json"])
    import_s = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    imported = json.loads(result.stdout.strip().splitlines()[-1])
    with campaign_session(None, "bench") as (_runtime, session, ctx):
        total = count_contacts(session, ctx)
        started = time.perf_counter()
        pairs = refresh_duplicates(session, ctx)
        dedup_s = time.perf_counter() - started
    rng = random.Random(3)
    queries = [rng.choice(LAST_NAMES)[: rng.randint(3, 6)] for _ in range(100)]
    queries += [f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)[:3]}" for _ in range(100)]
    timings = []
    with campaign_session(None, "bench") as (_runtime, session, ctx):
        search_contacts(session, ctx, query="warm")
        for query in queries:
            started = time.perf_counter()
            rows = search_contacts(session, ctx, query=query)
            timings.append((time.perf_counter() - started) * 1000)
            assert rows or query
    timings.sort()
    print(
        json.dumps(
            {
                "backend": "postgresql" if args.database_url else "sqlite",
                "contacts": total,
                "import": {
                    "seconds": round(import_s, 1),
                    **{k: imported[k] for k in ("created", "updated", "skipped")},
                },
                "dedup": {"seconds": round(dedup_s, 1), "pairs": pairs},
                "search_ms": {
                    "median": round(statistics.median(timings), 2),
                    "p95": round(timings[int(len(timings) * 0.95)], 2),
                    "max": round(timings[-1], 2),
                    "queries": len(timings),
                },
                "python": sys.version.split()[0],
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
