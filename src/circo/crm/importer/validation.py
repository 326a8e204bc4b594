"""Validating an import: every row normalised and checked against the mapping (`plan_import`),
and the wizard's preview; nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from circo.crm import normalise
from circo.crm.contacts import normalise_fields
from circo.crm.errors import ContactFieldError
from circo.crm.importer.reading import ParsedFile

CHUNK = 5000
CONSENT_FIELDS = {
    "consent_email": "email",
    "consent_sms": "sms",
    "consent_phone": "phone",
    "consent_post": "post",
}
YES = {"oui", "o", "yes", "y", "1", "true", "vrai", "x", "ok", "granted", "accepte"}
NO = {"non", "n", "no", "0", "false", "faux", "refused", "refuse"}


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ImportPlan:
    mapping: dict[str, str]  # header → field
    records: list[dict[str, Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    consents: list[dict[str, str]] = field(default_factory=list)
    tags: list[list[str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    @property
    def valid_rows(self) -> int:
        return len(self.records)


def _consent_value(raw: str) -> str | None:
    folded = normalise.fold(raw)
    if not folded:
        return None
    if folded in YES:
        return "granted"
    if folded in NO:
        return "refused"
    raise ValueError(f"valeur de consentement « {raw} » non reconnue (attendu oui ou non)")


def plan_import(
    parsed: ParsedFile,
    mapping: dict[str, str],
    *,
    suppressed: Callable[[str, str], bool] | None = None,
    progress: Callable[[int], None] | None = None,
    progress_every: int = CHUNK,
) -> ImportPlan:
    """Normalise and validate every row; nothing is written. ``progress(rows_checked)`` is
    called every ``progress_every`` rows."""
    plan = ImportPlan(mapping=mapping)
    columns = [(parsed.headers.index(header), header, target) for header, target in mapping.items()]
    seen_emails: dict[str, int] = {}
    for index, row in enumerate(parsed.rows):
        if progress and index and index % progress_every == 0:
            progress(index)
        line = index + 2
        values: dict[str, Any] = {}
        custom: dict[str, str] = {}
        consents: dict[str, str] = {}
        tags: list[str] = []
        row_problems: list[Problem] = []
        for position, header, target in columns:
            raw = row[position].strip()
            if target.startswith("custom:"):
                if raw:
                    custom[target[7:]] = raw
            elif target in CONSENT_FIELDS:
                try:
                    status = _consent_value(raw)
                except ValueError as exc:
                    row_problems.append(Problem(line, header, str(exc)))
                    continue
                if status:
                    consents[CONSENT_FIELDS[target]] = status
            elif target == "tags":
                tags = [tag.strip() for tag in raw.replace(";", ",").split(",") if tag.strip()]
            elif target == "birth_year":
                if raw:
                    if not (raw[:4].isdigit() and 1900 <= int(raw[:4]) <= 2100):
                        row_problems.append(
                            Problem(
                                line, header, f"année de naissance invalide « {raw} » (ex. 1978)"
                            )
                        )
                    else:
                        values["birth_year"] = int(raw[:4])
            elif target == "phone" and raw.isdigit() and len(raw) == 9:
                values["phone"] = "0" + raw  # a spreadsheet dropped the leading zero
            else:
                values[target] = raw or None
        values.setdefault("first_name", "")
        values["last_name"] = values.get("last_name") or ""
        if values.get("relationship_kind") is None:
            values.pop("relationship_kind", None)
        try:
            values = normalise_fields(values)
        except ContactFieldError as exc:
            header = next((h for h, t in mapping.items() if t == exc.field), exc.field)
            row_problems.append(Problem(line, header, exc.reason))
        if not row_problems and not (
            values["last_name"] or values.get("email") or values.get("phone")
        ):
            row_problems.append(Problem(line, "Nom", "ligne sans nom, e-mail ni téléphone"))
        if row_problems:
            plan.problems.extend(row_problems)
            continue
        email, phone = values.get("email"), values.get("phone")
        if suppressed and (
            (email and suppressed("email", email)) or (phone and suppressed("phone", phone))
        ):
            plan.skipped.append(
                Problem(line, "", "personne ayant demandé l'effacement ou s'étant opposée")
            )
            continue
        if email and email in seen_emails:
            plan.skipped.append(
                Problem(line, "Email", f"même e-mail que la ligne {seen_emails[email]}")
            )
            continue
        if email:
            seen_emails[email] = line
        values["custom"] = custom
        plan.records.append(values)
        plan.row_numbers.append(line)
        plan.consents.append(consents)
        plan.tags.append(tags)
    if progress:
        progress(len(parsed.rows))
    return plan


def preview(parsed: ParsedFile, mapping: dict[str, str], *, rows: int = 20) -> dict[str, Any]:
    """What the wizard shows: the mapped values of the first rows and the validation report."""
    plan = plan_import(parsed, mapping)
    sample = [
        {target: row[parsed.headers.index(header)] for header, target in mapping.items()}
        for row in parsed.rows[:rows]
    ]
    return {
        "headers": parsed.headers,
        "mapping": mapping,
        "rows": len(parsed.rows),
        "valid_rows": plan.valid_rows,
        "sample": sample,
        "problems": [problem.as_dict() for problem in plan.problems],
        "skipped": [problem.as_dict() for problem in plan.skipped],
    }
