"""``circo automations …``: create, list and run the due steps of automations."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from circo.automations.errors import AutomationError
from circo.cli_common import (
    CampaignOption,
    DataDirOption,
    JsonOption,
    campaign_session,
    console,
    print_json,
    runtime_for,
)

automations_app = typer.Typer(
    help="Automatisations : déclencheur puis étapes (message, étiquette, organisateur) / "
    "automations.",
    no_args_is_help=True,
)
STEP_HELP = (
    "Étape ACTION:JOURS:VALEUR, répétable : « email:0:Objet|Corps », « sms:2:Texte », "
    "« tag:1:bénévole », « assign:3:orga@exemple.fr »."
)
ACTIONS = {"email": "send_message", "sms": "send_message", "tag": "add_tag", "assign": "assign"}


def register(app: typer.Typer) -> None:
    from circo.cli import CircoGroup

    automations_app.info.cls = CircoGroup
    app.add_typer(automations_app, name="automations")


def parse_step(text: str, index: int) -> dict[str, Any]:
    """« email:3:Objet|Corps » → the fields of a `StepIn` (French error naming the step)."""
    loc = f"--step {index + 1}"
    kind, _, rest = text.partition(":")
    days, separator, value = rest.partition(":")
    action = ACTIONS.get(kind.strip().lower())
    if action is None or not separator:
        raise AutomationError(
            f"étape « {text} » illisible : attendu ACTION:JOURS:VALEUR avec ACTION email, sms, "
            "tag ou assign (ex. « email:0:Bienvenue|Bonjour {{ prenom }} »)",
            loc=loc,
        )
    try:
        delay = int(days.strip())
    except ValueError:
        raise AutomationError(
            f"délai « {days} » : attendu un nombre de jours (ex. 3)", loc=loc
        ) from None
    if not 0 <= delay <= 365:
        raise AutomationError(f"délai {delay} : attendu de 0 à 365 jours", loc=loc)
    step: dict[str, Any] = {"action": action, "delay_days": delay}
    if kind.strip().lower() == "email":
        subject, bar, body = value.partition("|")
        if not bar:
            raise AutomationError(
                f"e-mail « {value} » : attendu Objet|Corps (ex. « Bienvenue|Bonjour ! »)", loc=loc
            )
        step.update(channel="email", subject=subject.strip(), body=body.replace("\\n", "\n"))
    elif kind.strip().lower() == "sms":
        step.update(channel="sms", body=value.replace("\\n", "\n"))
    elif action == "add_tag":
        step["tag"] = value
    else:
        step["organiser"] = value
    return step


@automations_app.command("create")
def automations_create(
    name: Annotated[str, typer.Option("--name", help="Nom (ex. « Série de bienvenue »).")],
    step: Annotated[list[str], typer.Option("--step", help=STEP_HELP)],
    on_segment: Annotated[
        str, typer.Option("--on-segment", help="Quand un contact entre dans ce segment.")
    ] = "",
    on_form: Annotated[
        int, typer.Option("--on-form", help="Quand un contact confirme ce formulaire (n°).")
    ] = 0,
    on_event: Annotated[
        int, typer.Option("--on-event", help="Quand un contact vient à cet événement (n°).")
    ] = 0,
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Créer une automatisation / create an automation.

    Un déclencheur (--on-segment, --on-form ou --on-event) et des étapes (--step). Chaque étape
    vérifie le calendrier (L49) et le consentement au moment où elle s'exécute."""
    from pydantic import ValidationError

    from circo.automations.schemas import AutomationIn
    from circo.automations.service import create_automation

    chosen = [flag for flag, value in (("segment", on_segment), ("form", on_form),
              ("event", on_event)) if value]  # fmt: skip
    if len(chosen) != 1:
        raise AutomationError(
            "un seul déclencheur : --on-segment NOM, --on-form N° ou --on-event N°",
            loc="--on-segment",
        )
    steps = [parse_step(text, index) for index, text in enumerate(step)]
    try:
        data = AutomationIn(
            name=name, trigger=chosen[0], segment=on_segment, form_id=on_form or None,
            event_id=on_event or None, steps=steps,
        )  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise AutomationError(f"valeur refusée ({where}) : {first['msg']}", loc=where) from None
    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        created = create_automation(session, ctx, runtime.settings, data=data)
        payload = {
            "id": created.automation.id,
            "name": created.automation.name,
            "steps": len(created.steps),
            "baseline": created.baseline,
        }
    if as_json:
        print_json(payload)
    else:
        console.print(f"automatisation {payload['id']} « {payload['name']} » créée")


@automations_app.command("list")
def automations_list(
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Lister les automatisations et leurs compteurs / list automations."""
    from circo.automations.service import list_automations, run_counts, steps_of

    with campaign_session(data_dir, campaign) as (_runtime, session, ctx):
        automations = list_automations(session, ctx)
        steps = steps_of(session, [item.id for item in automations])
        counts = run_counts(session, ctx)
        payload = [
            {
                "id": item.id,
                "name": item.name,
                "trigger": str(item.trigger),
                "target": item.segment_name or item.form_id or item.event_id,
                "steps": len(steps[item.id]),
                "enrolled": counts.get(item.id, {}).get("enrolled", 0),
                "scheduled": counts.get(item.id, {}).get("scheduled", 0),
                "done": counts.get(item.id, {}).get("done", 0),
                "skipped": counts.get(item.id, {}).get("skipped", 0),
            }
            for item in automations
        ]
    if as_json:
        print_json(payload)
        return
    for row in payload:
        console.print(
            f"{row['id']} « {row['name']} » : {row['enrolled']} contact(s), "
            f"{row['done']} étape(s) faite(s), {row['scheduled']} prévue(s)"
        )


@automations_app.command("run-due")
def automations_run_due(
    at: Annotated[
        str,
        typer.Option("--at", help="Heure de référence (campagne), ex. « 2026-12-10 09:00 »."),
    ] = "",
    campaign: CampaignOption = None,
    data_dir: DataDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Exécuter les étapes dues / run the due steps now.

    Évalue les segments, exécute les étapes dues (calendrier et consentement vérifiés à ce
    moment), puis envoie les messages mis en file."""
    from circo.automations.engine import run_due
    from circo.core.jobs import run_pending
    from circo.core.timezone import parse_local

    with campaign_session(data_dir, campaign) as (runtime, session, ctx):
        now = parse_local(at, ctx.campaign.timezone, field="--at") if at else None
        result = run_due(session, ctx, now=now).model_dump()
    with runtime_for(data_dir) as runtime:
        run_pending(runtime.factory, runtime.settings,
                    kinds={"messaging.send", "core.send_mail"})  # fmt: skip
    if as_json:
        print_json(result)
    else:
        console.print(
            f"{result['done']} étape(s) faite(s), {result['skipped']} écartée(s), "
            f"{result['paused']} en pause, {result['enrolled']} contact(s) entré(s)"
        )
