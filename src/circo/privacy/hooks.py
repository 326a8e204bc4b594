"""Extension points for the rights of the person: other domains holding personal data
(field visits, messaging deliveries, assistant documents…) register what an access request
must include and what an erasure must remove.

    from circo.privacy.hooks import Identity, register_access_hook, register_erasure_hook

    @register_erasure_hook
    def erase_visits(session, ctx, identity: Identity) -> int:
        ...delete rows whose contact_id is in identity.contact_ids...
        return deleted_count

    @register_access_hook
    def visits_of(session, ctx, identity: Identity) -> dict[str, list[dict]]:
        return {"field_visits": [...json-able rows...]}

Hooks run inside the caller's transaction; they ``flush()``, never ``commit()``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from circo.core.tenancy import CampaignContext


@dataclass
class Identity:
    """Who a rights request is about: the matched contacts and every form of their identity."""

    contact_ids: list[int] = field(default_factory=list)
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)  # E.164
    names: set[tuple[str, str]] = field(default_factory=set)  # (first name, last name)

    def needles(self) -> list[str]:
        """Strings whose presence anywhere means the person is still there (see
        `circo.privacy.rights.traces`)."""
        from circo.crm.normalise import phone_variants

        found: set[str] = set(self.emails)
        for phone in self.phones:
            found.update(phone_variants(phone))
        for first, last in self.names:
            if first and last:
                found.add(f"{first} {last}")
                found.add(f"{last} {first}")
        return sorted(value for value in found if len(value) >= 5)


ErasureHook = Callable[[Session, CampaignContext, Identity], int]
AccessHook = Callable[[Session, CampaignContext, Identity], dict[str, list[dict[str, Any]]]]

erasure_hooks: list[ErasureHook] = []
access_hooks: list[AccessHook] = []


def register_erasure_hook(hook: ErasureHook) -> ErasureHook:
    if hook not in erasure_hooks:
        erasure_hooks.append(hook)
    return hook


def register_access_hook(hook: AccessHook) -> AccessHook:
    if hook not in access_hooks:
        access_hooks.append(hook)
    return hook
