"""What a person reads instead of an internal key: roles, channels, statuses, document types…

One table per closed set of values (the ``StrEnum`` of the models, the indicator keys, answer
values); templates write ``{{ value|label("role") }}`` and Python code calls
``label(value, "role")``. The French text is the msgid of the English catalogue
(``circo/locales/en/labels.po``); pages, mail, exports and the
command line all read them here. A value missing from its table shows as itself, so a new value
never breaks a page — and the crawl of every page (``tests/web/test_french_pages.py``) fails on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from circo.i18n import translate

LABELS: Mapping[str, Mapping[str, str]] = {
    "role": {
        "admin": "Administration",
        "data": "Données et fichiers",
        "comms": "Communication",
        "finance": "Finances (mandataire, trésorier)",
        "organiser": "Organisation du terrain",
        "volunteer": "Bénévole",
    },
    "channel": {
        "email": "e-mail",
        "sms": "SMS",
        "phone": "téléphone",
        "post": "courrier",
        "automated_call": "appel automatisé",
        "political_opinions": "opinions politiques",
        "all": "tous les canaux",
    },
    "consent_status": {"granted": "accordé", "refused": "refusé", "withdrawn": "retiré"},
    "doc_type": {
        "programme": "programme",
        "study": "étude",
        "article": "article",
        "poll": "sondage",
        "news": "actualité",
        "rebuttal": "riposte",
    },
    "feed_status": {"new": "nouveau", "ok": "à jour", "error": "en erreur"},
    "message_status": {
        "draft": "brouillon",
        "testing": "test A/B en cours",
        "queued": "en file d'attente",
        "sending": "en cours d'envoi",
        "done": "envoyé",
        "failed": "échec",
        "cancelled": "annulé",
    },
    "delivery_status": {
        "held": "en attente",
        "queued": "en file d'attente",
        "sending": "en cours d'envoi",
        "sent": "envoyé",
        "failed": "échec",
        "uncertain": "incertain",
        "cancelled": "annulé",
        "skipped_no_consent": "écarté : pas de consentement",
        "skipped_opposed": "écarté : opposition",
    },
    "ab_metric": {"opens": "ouvertures", "clicks": "clics", "fixed": "choix manuel"},
    "turf_status": {"open": "ouvert", "done": "terminé"},
    "assignment_status": {"planned": "prévue", "cancelled": "annulée"},
    "recontact_status": {"pending": "à rappeler", "recorded": "enregistré"},
    "relationship": {
        "contact": "contact",
        "supporter": "sympathisant",
        "member": "adhérent",
        "volunteer": "bénévole",
        "donor": "donateur",
        "press": "presse",
        "elected": "élu",
    },
    "custom_field": {"text": "texte", "number": "nombre", "date": "date", "choice": "choix"},
    "duplicate_status": {"open": "à examiner", "dismissed": "écarté"},
    "roll_kind": {"roll": "liste électorale", "emargement": "liste d'émargement"},
    "volunteer_status": {"invited": "invité", "active": "actif", "paused": "en pause"},
    "event_kind": {"meeting": "réunion", "canvassing": "porte-à-porte", "training": "formation"},
    "attendee_status": {
        "invited": "invité",
        "yes": "oui",
        "no": "non",
        "maybe": "peut-être",
    },
    "request_kind": {
        "access": "accès",
        "rectification": "rectification",
        "erasure": "effacement",
        "opposition": "opposition",
    },
    "request_status": {
        "unverified": "identité à vérifier",
        "open": "en cours",
        "done": "traitée",
        "rejected": "refusée",
    },
    "request_channel": {
        "staff": "équipe",
        "self_service": "formulaire en ligne",
        "cli": "ligne de commande",
        "api": "API",
    },
    "suppression": {"email": "e-mail", "phone": "téléphone"},
    "indicator": {
        "turnout": "participation",
        "abstention_rate": "abstention",
        "blank_rate": "votes blancs",
        "null_rate": "votes nuls",
        "registered": "inscrits",
        "voters": "votants",
        "expressed": "exprimés",
    },
    "answer": {"yes": "oui", "no": "non", "maybe": "peut-être", "true": "oui", "false": "non"},
    "audit_action": {
        "night.log_export": "export du journal des saisies de procès-verbaux",
        "experiment.preregistered": "pré-enregistrement d'une expérience de terrain",
        "party.shared_people": "consultation des personnes partagées avec un groupe",
        "finance.setup": "ouverture ou modification du compte de campagne",
        "finance.donation": "don enregistré",
        "finance.receipt_cancelled": "reçu annulé",
        "finance.income": "recette enregistrée",
        "finance.expense": "dépense enregistrée",
        "finance.bank_import": "relevé bancaire importé",
        "finance.export": "export du compte de campagne",
        "login": "connexion",
        "login.failed": "connexion refusée",
        "campaign.create": "création de la campagne",
        "contacts.export": "export de contacts",
        "contacts.import": "import de contacts",
        "contacts.merge": "fusion de contacts",
        "contacts.read": "consultation de contacts",
        "elections.import_results": "import de résultats",
        "field.export": "export terrain",
        "field.plan": "découpage en secteurs",
        "field.walklist": "liste de porte-à-porte",
        "member.remove": "membre retiré",
        "messaging.deliveries.read": "consultation des envois",
        "messaging.send": "envoi de message",
        "password.change": "mot de passe changé",
        "password.reset": "mot de passe réinitialisé",
        "password.reset_requested": "réinitialisation demandée",
        "privacy.access": "droit d'accès",
        "privacy.erase": "effacement",
        "privacy.request": "demande de droits",
        "privacy.retention.apply": "purge des durées de conservation",
        "privacy.retention.dry_run": "simulation de purge",
        "privacy.self_service_requested": "demande en ligne",
        "role.set": "rôle changé",
        "roll.import": "import de liste électorale",
        "roll.read": "consultation de liste électorale",
        "targeting.export": "export du ciblage",
        "targeting.save_choice": "choix de ciblage",
    },
    "audit_target": {
        "finance_account": "compte de campagne",
        "finance_donation": "don",
        "finance_receipt": "reçu",
        "finance_income": "recette",
        "finance_expense": "dépense",
        "campaign": "campagne",
        "contact": "contact",
        "contacts": "contacts",
        "election": "élection",
        "experiment": "expérience de terrain",
        "electoral_roll": "liste électorale",
        "email": "e-mail",
        "field_visits": "visites",
        "import": "import",
        "message": "message",
        "rights_request": "demande de droits",
        "segment": "segment",
        "targeting": "ciblage",
        "turf": "secteur",
        "turf_plan": "découpage",
        "user": "utilisateur",
    },
    "contact_field": {
        "first_name": "Prénom",
        "last_name": "Nom",
        "email": "E-mail",
        "phone": "Téléphone",
        "address_line": "Adresse",
        "postal_code": "Code postal",
        "city": "Commune",
        "commune_code": "Code commune",
        "polling_station": "Bureau de vote",
        "birth_year": "Année de naissance",
        "relationship_kind": "Relation",
        "tags": "Étiquettes",
        "notes": "Notes",
        "source": "Source",
        "consent_email": "Consentement e-mail",
        "consent_sms": "Consentement SMS",
        "consent_phone": "Consentement téléphone",
        "consent_post": "Consentement courrier",
    },
    "scenario_status": {
        "runoff": "au second tour",
        "withdrawn": "désisté",
        "elected_first_round": "élu au premier tour",
    },
    "experiment_arm": {"treatment": "traitement", "control": "témoin"},
    "experiment_treatment": {
        "door_to_door": "porte-à-porte",
        "phoning": "phoning",
        "leaflets": "tracts",
    },
    "experiment_block": {"turnout": "participation passée", "none": "aucun (tirage simple)"},
    "ei_method": {
        "em": "EM (maximum de vraisemblance, rapide)",
        "md": "multinomiale-Dirichlet (bayésienne, lente)",
        "auto": "automatique",
        "goodman": "régression de Goodman",
        "lp": "programmation linéaire (bornes)",
    },
    "job_kind": {
        "targeting.transfers": "reports de voix",
        "targeting.groups": "vote par groupe social",
        "crm.event_reminder": "rappel d'événement",
        "field.alert": "alerte terrain",
        "field.reminder": "rappel terrain",
        "assistant.refresh_feed": "lecture d'un flux d'actualités",
        "messaging.send": "envoi de message",
        "messaging.ab_decide": "choix du gagnant A/B",
        "privacy.retention": "purge des durées de conservation",
        "electionday.proxy_notice": "message de procuration (appariement ou rappel)",
    },
    "interaction": {
        "consent": "consentement",
        "edit": "modification",
        "event": "événement",
        "merge": "fusion",
        "note": "note",
        "opposition": "opposition",
        "visit": "porte-à-porte",
        "import": "import",
        "message": "message",
        "call": "appel",
    },
    "call_outcome": {
        "reached": "joint",
        "voicemail": "messagerie",
        "wrong_number": "faux numéro",
        "refused": "refus",
        "callback": "à rappeler",
        "opposed": "opposition",
    },
    "text_status": {
        "pending": "à envoyer",
        "sending": "en cours d'envoi",
        "sent": "envoyé",
        "failed": "échec",
        "excluded": "écarté",
    },
    "poster_status": {
        "pending": "à afficher",
        "posted": "affiche posée",
        "torn": "affiche arrachée",
        "covered": "affiche recouverte",
        "redo": "à refaire",
    },
    "text_direction": {
        "inbound": "reçu",
        "outbound": "envoyé",
    },
    "automation_trigger": {
        "segment": "entre dans un segment",
        "form": "confirme un formulaire",
        "event": "vient à un événement",
    },
    "automation_action": {
        "send_message": "envoyer un message",
        "add_tag": "ajouter une étiquette",
        "assign": "confier à un·e organisateur·rice",
    },
    "automation_run": {
        "scheduled": "prévue",
        "done": "faite",
        "skipped": "écartée",
    },
    "form_kind": {
        "signup": "inscription",
        "volunteer": "bénévolat",
        "petition": "pétition",
        "event": "événement",
        "procuration_offer": "offre de procuration",
    },
    "call_status": {
        "pending": "à distribuer",
        "assigned": "en cours",
        "done": "appelé",
        "excluded": "exclu",
    },
    "night_anomaly": {
        "turnout": "participation inhabituelle",
        "registered": "nombre d'inscrits inhabituel",
    },
    "proxy_status": {
        "open": "en attente",
        "matched": "appariée",
        "withdrawn": "retirée",
    },
    "proxy_rounds": {
        "1": "1er tour",
        "2": "second tour",
        "both": "les deux tours",
    },
    "assessor_role": {
        "assessor": "assesseur titulaire",
        "assessor_substitute": "assesseur suppléant",
        "delegate": "délégué",
        "delegate_substitute": "délégué suppléant",
    },
    "pv_source": {
        "file": "fichier",
        "phone": "téléphone",
    },
    "group_kind": {"national": "national", "federation": "fédération", "local": "groupe local"},
    "shared_kind": {
        "knowledge": "base de connaissances",
        "programme": "point de programme",
        "message_template": "modèle de message",
        "studio_template": "modèle graphique",
        "questionnaire": "questionnaire",
        "training": "formation",
    },
    "share_status": {"granted": "accordé", "withdrawn": "retiré"},
    "webhook_event": {
        "contact.created": "contact créé",
        "event.rsvp": "réponse à une invitation",
        "donation.recorded": "don enregistré",
        "visits.synced": "visites synchronisées",
        "opposition.recorded": "opposition enregistrée",
        "form.submitted": "formulaire confirmé",
    },
    "delivery_state": {"pending": "à renvoyer", "delivered": "reçu", "failed": "échec"},
    "job_status": {
        "queued": "en attente",
        "running": "en cours",
        "done": "terminé",
        "failed": "échec",
    },
    "verdict": {
        "contradicted": "contredit par nos sources",
        "supported": "confirmé par nos sources",
        "unverified": "non vérifié",
    },
    "stance": {"against": "contre", "for": "pour", "context": "contexte"},
    "riposte_status": {"draft": "brouillon", "approved": "validée et diffusée"},
    "share_network": {
        "x": "X",
        "facebook": "Facebook",
        "whatsapp": "WhatsApp",
        "telegram": "Telegram",
        "linkedin": "LinkedIn",
        "instagram": "Instagram",
        "tiktok": "TikTok",
    },
    "draft_kind": {
        "post": "post pour les réseaux",
        "video": "script vidéo",
        "email": "e-mail",
        "door": "script de porte-à-porte",
        "phone": "script d'appel",
        "sheet": "fiche technique",
        "strategy": "note de stratégie",
        "training": "formation et quiz",
        "slogan": "slogans",
    },
    "slogan_angle": {
        "proposal": "proposition du programme",
        "figure": "chiffre",
        "finding": "constat",
        "objection": "réponse à une idée reçue",
    },
    "draft_status": {"draft": "brouillon", "approved": "validé", "published": "publié"},
    "visual_template": {
        "post-square": "post carré",
        "post-portrait": "post portrait",
        "story": "format vertical",
        "leaflet-a5": "tract A5 (PDF)",
        "leaflet-a4": "tract A4 (PDF)",
    },
    "visual_figure": {
        "turnout": "participation",
        "bureaux": "participation par bureau",
        "first": "score du candidat en tête",
    },
}


def label(value: Any, kind: str, language: str = "fr") -> str:
    """The words for ``value`` of the set ``kind`` in ``language`` (the value itself if unknown)."""
    if value is None:
        return "—"
    key = str(getattr(value, "value", value))
    french = LABELS.get(kind, {}).get(key)
    if french is None:
        return key
    return translate(language, french)


def segment_sentence(filters: Mapping[str, Any], language: str = "fr") -> str:
    """A segment's filters as a French sentence (never a Python dict)."""
    parts: list[str] = []
    for key, value in filters.items():
        if value in (None, "", [], {}):
            continue
        parts.append(_segment_part(key, value, language))
    if not parts:
        return translate(language, "tous les contacts")
    return " ; ".join(parts)


SEGMENT_KEYS = {
    "tags": "étiquettes",
    "commune_codes": "communes",
    "postal_codes": "codes postaux",
    "polling_stations": "bureaux de vote",
    "attended_event_ids": "présents aux événements n°",
    "relationship_kinds": "relations",
    "text": "texte cherché",
}


def _segment_part(key: str, value: Any, language: str) -> str:
    if key == "tags_all":
        return translate(language, "toutes les étiquettes à la fois")
    if key == "answers" and isinstance(value, Mapping):
        return " ; ".join(
            translate(
                language,
                "réponse à « {question} » : {answers}",
                question=question,
                answers=", ".join(str(answer) for answer in answers),
            )
            for question, answers in value.items()
        )
    if key == "relationship_kinds" and isinstance(value, list | tuple):
        value = [label(kind, "relationship", language) for kind in value]
    if key == "consent_channel":
        channel = label(value, "channel", language)
        return translate(language, "joignables par {channel}", channel=channel)
    name = translate(language, SEGMENT_KEYS.get(key, key.replace("_", " ")))
    if isinstance(value, list | tuple):
        shown = ", ".join(str(item) for item in value)
    elif isinstance(value, bool):
        shown = translate(language, "oui" if value else "non")
    else:
        shown = str(value)
    return f"{name} : {shown}"


def round_label(round_number: int, language: str = "fr") -> str:
    """``1`` → "1er tour", ``2`` → "second tour" (English through the catalogue)."""
    if round_number == 1:
        return translate(language, "1er tour")
    if round_number == 2:
        return translate(language, "second tour")
    return translate(language, "{n}e tour", n=round_number)


def election_title(name: str, round_number: int, language: str = "fr") -> str:
    """ "Présidentielle 2022 — 1er tour": the name a person reads (the key is secondary)."""
    return f"{name} — {round_label(round_number, language)}"


# Where an error happened, as the page names it: command-line options and form/JSON fields.
PLACES: Mapping[str, str] = {
    "territory": "territoire",
    "election": "élection",
    "round": "tour",
    "candidate": "candidat",
    "weights": "poids",
    "segment": "segment",
    "channel": "canal",
    "email": "e-mail",
    "phone": "téléphone",
    "kind": "type",
    "variables": "variables",
    "bureaux": "bureaux",
    "doors-per-turf": "portes par secteur",
    "doors_per_turf": "portes par secteur",
    "mapping": "correspondance des colonnes",
    "out": "fichier d'export",
    "name": "nom",
    "title": "titre",
    "subject": "objet",
    "body": "message",
    "first_name": "prénom",
    "last_name": "nom",
    "starts_at": "début",
    "ends_at": "fin",
    "text": "texte",
    "url": "adresse web",
    "password": "mot de passe",
    "role": "rôle",
    "indicator": "indicateur",
    "claim": "affirmation",
    "question": "question",
    "answers": "réponses",
    "tags": "étiquettes",
    "postal_code": "code postal",
    "commune_code": "code commune",
    "polling_station": "bureau de vote",
    "hypothesis": "hypothèse",
    "treatment": "traitement",
    "treated_share": "part traitée",
    "block_on": "blocage",
    "before": "élection avant",
    "after": "élection après",
    "design": "expérience",
}


def place(loc: str | None, language: str = "fr") -> str:
    """``"--territory"`` or ``"body.starts_at"`` → "territoire", "début" (a person's words)."""
    if not loc:
        return ""
    key = loc.removeprefix("--")
    for prefix in ("body.", "query.", "path.", "form."):
        key = key.removeprefix(prefix)
    words = PLACES.get(key) or PLACES.get(key.replace("-", "_"))
    if words is None:
        if loc.startswith("--") or "_" in key:
            words = key.replace("-", " ").replace("_", " ")
        else:
            return loc
    return translate(language, words)


def person_message(message: str, loc: str | None, language: str = "fr") -> str:
    """An error as a page shows it: "territoire : …", never "--territory : …"."""
    where = place(loc, language)
    return f"{where} : {message}" if where else message
