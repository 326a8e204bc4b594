"""``circo night …``: results night from the command line (thin: parse, call, print)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from circo.cli_common import (
    CampaignOption,
    DataDirOption,
    JsonOption,
    campaign_session,
    print_json,
    runtime_for,
)

night_app = typer.Typer(
    help="Soirée électorale : saisie des procès-verbaux et projection / results night.",
    no_args_is_help=True,
)

ElectionOption = Annotated[
    str, typer.Option("--election", help="Élection de ce soir, ex. pres-2027, leg-2027.")
]
RoundOption = Annotated[int, typer.Option("--round", help="Tour / round (1 ou 2).")]
CONTRACT_KEYS = ("reported_bureaux", "expected_bureaux", "candidates")


procurations_app = typer.Typer(
    help="Procurations : demandes, offres, appariement / proxy votes.", no_args_is_help=True
)
DateOption = Annotated[
    str,
    typer.Option("--until", help="Date du dernier tour concerné (AAAA-MM-JJ) : supprimé après."),
]
RoundsOption = Annotated[str, typer.Option("--rounds", help="Tours : 1, 2 ou 1,2.")]


assessors_app = typer.Typer(
    help="Assesseurs et délégués : inscriptions, couverture, lettres à la mairie / poll watchers.",
    no_args_is_help=True,
)
VoteRoundOption = Annotated[int, typer.Option("--round", help="Tour / round (1 ou 2).")]


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    night_app.info.cls = CircoGroup
    procurations_app.info.cls = CircoGroup
    assessors_app.info.cls = CircoGroup
    app.add_typer(night_app, name="night")
    app.add_typer(procurations_app, name="procurations")
    app.add_typer(assessors_app, name="assessors")


def _day(text: str) -> date:
    from circo.electionday.procurations import ProxyError

    try:
        return date.fromisoformat(text.strip())
    except ValueError as exc:
        raise ProxyError(f"date « {text} » illisible : attendu AAAA-MM-JJ", loc="--until") from exc


@procurations_app.command("request")
def proxy_request(
    contact: Annotated[int, typer.Option("--contact", help="Contact (mandant), n°.")],
    bureau: Annotated[str, typer.Option("--bureau", help="Bureau d'inscription, ex. 69123_0101.")],
    rounds: RoundsOption,
    until: DateOption,
    abroad: Annotated[
        bool, typer.Option("--abroad", help="Procuration établie à l'étranger (L73).")
    ] = False,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer une demande de procuration / record a proxy request."""
    from circo.electionday.procurations import add_request

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        request = add_request(
            session, ctx, contact_id=contact, station=bureau, rounds=rounds,
            established_abroad=abroad, delete_after=_day(until),
        )  # fmt: skip
        request_id = request.id
    if as_json:
        print_json({"request": request_id})
    else:
        typer.echo(f"Demande n° {request_id} enregistrée")


@procurations_app.command("offer")
def proxy_offer(
    contact: Annotated[int, typer.Option("--contact", help="Contact (mandataire), n°.")],
    longitude: Annotated[float, typer.Option("--lon", help="Longitude du domicile (degrés).")],
    latitude: Annotated[float, typer.Option("--lat", help="Latitude du domicile (degrés).")],
    rounds: RoundsOption,
    until: DateOption,
    max_km: Annotated[float, typer.Option("--max-km", help="Distance acceptée (km).")] = 10.0,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Enregistrer une offre de mandataire / record a volunteer's offer."""
    from circo.electionday.procurations import add_offer

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        offer = add_offer(
            session, ctx, contact_id=contact, longitude=longitude, latitude=latitude,
            max_km=max_km, rounds=rounds, delete_after=_day(until),
        )  # fmt: skip
        offer_id = offer.id
    if as_json:
        print_json({"volunteer": offer_id})
    else:
        typer.echo(f"Offre n° {offer_id} enregistrée")


@procurations_app.command("withdraw")
def proxy_withdraw(
    request: Annotated[int | None, typer.Option("--request", help="Demande retirée, n°.")] = None,
    offer: Annotated[int | None, typer.Option("--volunteer", help="Offre retirée, n°.")] = None,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Retirer une demande ou une offre (appariements défaits) / withdraw."""
    from circo.electionday.procurations import ProxyError, withdraw

    if (request is None) == (offer is None):
        raise ProxyError("indiquez soit --request, soit --volunteer", loc="--request")
    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        undone = withdraw(session, ctx, request_id=request, offer_id=offer)
    if as_json:
        print_json({"undone": undone})
    else:
        typer.echo(f"{undone} appariement(s) défait(s) ; relancez « circo procurations match »")


@procurations_app.command("match")
def proxy_match(
    campaign: CampaignOption = None, data_dir: DataDirOption = None, as_json: JsonOption = False
) -> None:
    """Apparier les demandes ouvertes aux mandataires disponibles (km minimaux, L73)."""
    from circo.core.jobs import run_pending
    from circo.core.outbox import KIND
    from circo.electionday.procurations import match

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        result = match(session, ctx)
    with runtime_for(data_dir) as runtime:  # the mail queued with the matches, now committed
        run_pending(runtime.factory, runtime.settings, kinds={KIND})
    if as_json:
        print_json(result)
        return
    for found in result["matches"]:
        typer.echo(
            f"demande {found['request']} → mandataire {found['volunteer']} ({found['km']} km)"
        )
    typer.echo(f"sans mandataire : {', '.join(map(str, result['unmatched'])) or 'aucune'}")


@night_app.command("enter")
def enter(
    election: ElectionOption,
    round_number: RoundOption,
    file: Annotated[
        Path,
        typer.Option(
            "--file",
            help="Résultats par bureau, tout format lu par `circo import results` (un "
            "sous-ensemble des bureaux) / bureau results file.",
        ),
    ],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Saisir un lot de procès-verbaux (ajouté aux précédents) / enter a batch of PVs."""
    from circo.electionday.service import enter_file

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        report = enter_file(session, ctx, election=election, round_number=round_number, path=file)
    if as_json:
        print_json(report)
        return
    typer.echo(
        f"{report['file']} : {report['added']} bureaux ajoutés, {report['confirmed']} "
        f"confirmés ; {report['entered']} bureaux saisis pour {report['election']} "
        f"tour {report['round']}"
    )


@night_app.command("project")
def project(
    election: ElectionOption,
    round_number: RoundOption,
    reference: Annotated[
        str,
        typer.Option("--reference", help="Élection de référence ÉLECTION:TOUR, ex. pres-2022:1."),
    ],
    territory: Annotated[
        str, typer.Option("--territory", help="Territoire : 69, dep:69, circ:69-01, com:69123.")
    ],
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Projeter le résultat final depuis les bureaux dépouillés / project the final result."""
    from circo.electionday.service import project as project_result

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        result = project_result(
            session,
            ctx,
            election=election,
            round_number=round_number,
            reference=reference,
            territory=territory,
        )
    if as_json:
        print_json({key: result[key] for key in CONTRACT_KEYS})
        return
    typer.echo(
        f"{result['reported_bureaux']} bureaux dépouillés sur {result['expected_bureaux']} attendus"
    )
    from circo.formatting import format_percent

    naive = result.get("naive", {})
    for candidate in result["candidates"]:
        typer.echo(
            f"  {candidate['name']}\t{format_percent(candidate['share'], 1)}  "
            f"[{format_percent(candidate['low'], 1)} – {format_percent(candidate['high'], 1)}]  "
            f"(total partiel {format_percent(naive.get(candidate['name'], 0.0), 1)})"
        )
    for assumption in result.get("assumptions", []):
        typer.echo(f"Hypothèse : {assumption}")


@assessors_app.command("signup")
def assessor_signup(
    contact: Annotated[int, typer.Option("--contact", help="Contact (bénévole), n°.")],
    bureau: Annotated[str, typer.Option("--bureau", help="Bureau, ex. 69123_0101.")],
    role: Annotated[
        str,
        typer.Option(
            "--role", help="assesseur, assesseur-suppleant, delegue ou delegue-suppleant."
        ),
    ],
    vote_date: Annotated[str, typer.Option("--date", help="Jour du scrutin (AAAA-MM-JJ).")],
    elector_commune: Annotated[
        str, typer.Option("--elector-commune", help="Commune d'inscription (code INSEE).")
    ],
    round_number: VoteRoundOption = 1,
    slot: Annotated[str, typer.Option("--slot", help="Créneau HH:MM-HH:MM.")] = "08:00-20:00",
    birth_date: Annotated[
        str, typer.Option("--birth-date", help="Date de naissance (AAAA-MM-JJ), pour R46.")
    ] = "",
    birth_place: Annotated[
        str, typer.Option("--birth-place", help="Lieu de naissance, pour R46.")
    ] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Inscrire un bénévole dans un bureau (rôle, créneau), règles R42 à R47 vérifiées."""
    from circo.electionday.assessors import AssessorError, signup

    def day(text: str, option: str) -> date:
        try:
            return date.fromisoformat(text.strip())
        except ValueError as exc:
            raise AssessorError(
                f"date « {text} » illisible : attendu AAAA-MM-JJ", loc=option
            ) from exc

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        post = signup(
            session, ctx, contact_id=contact, station=bureau, role=role,
            round_number=round_number, vote_date=day(vote_date, "--date"), slot=slot,
            elector_commune=elector_commune,
            birth_date=day(birth_date, "--birth-date") if birth_date else None,
            birth_place=birth_place,
        )  # fmt: skip
        result = {"signup": post.id, "bureau": post.station_key, "role": post.role.value}
    if as_json:
        print_json(result)
    else:
        typer.echo(f"Désignation n° {result['signup']} enregistrée au bureau {result['bureau']}")


@assessors_app.command("list")
def assessor_list(
    round_number: VoteRoundOption = 1,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Couverture des bureaux : les bureaux sans assesseur ou délégué, prioritaires d'abord."""
    from circo.electionday.assessors import coverage_json

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        result = coverage_json(session, ctx, round_number=round_number)
    if as_json:
        print_json(result)
        return
    counts = result["counts"]
    typer.echo(
        f"{counts['covered']} bureaux couverts sur {counts['bureaux']} ; "
        f"{counts['uncovered']} à couvrir dont {counts['priority_uncovered']} prioritaires "
        f"({result['order']})"
    )
    from circo.labels import label

    for bureau in result["uncovered"]:
        rank = f"rang {bureau['priority']}" if bureau["priority"] else "non classé"
        missing = ", ".join(label(role, "assessor_role") for role in bureau["missing"])
        typer.echo(f"  {bureau['bureau']}\t{rank}\tmanque : {missing}")


@assessors_app.command("letters")
def assessor_letters(
    out: Annotated[Path, typer.Option("--out", help="Dossier où écrire les PDF.")],
    round_number: VoteRoundOption = 1,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lettres de désignation à la mairie, un PDF par commune (délai R46 indiqué)."""
    from circo.electionday.assessors import deadline
    from circo.electionday.letters import letters_pdf

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        letters = letters_pdf(session, ctx, round_number=round_number)
        zone = ctx.campaign.timezone
    out.mkdir(parents=True, exist_ok=True)
    files: list[dict[str, object]] = []
    shown: list[str] = []
    for commune, pdf in letters:
        path = out / f"designations-{commune['code']}-tour{round_number}.pdf"
        path.write_bytes(pdf)
        files.append(
            {
                "commune": commune["code"],
                "name": commune["name"],
                "path": str(path),
                "people": sum(len(people) for people in commune["bureaux"].values()),
                "deadline": deadline(commune["vote_day"], zone).isoformat(),
            }
        )
        shown.append(commune["deadline"])
    if as_json:
        print_json({"round": round_number, "letters": files})
        return
    for item, when in zip(files, shown, strict=True):
        typer.echo(
            f"{item['path']} : {item['people']} personne(s) — {item['name']}, à remettre au "
            f"plus tard le {when} (R46)"
        )
