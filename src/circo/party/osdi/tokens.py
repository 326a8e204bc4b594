"""Tokens of the OSDI API: one node's campaign each, with scopes (``read``, ``write``).

A token is shown once (``osdi_…``); only its SHA-256 is stored. It opens its campaign and
nothing else: the context it gives is that campaign's, whatever the request names.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from circo.core.audit import Actor
from circo.core.errors import AuthError
from circo.core.models import Campaign, Role
from circo.core.security import new_token, token_hash
from circo.core.tenancy import CampaignContext, campaign_filter
from circo.db import utcnow
from circo.errors import CircoError, NotFound, PermissionDenied
from circo.party.models import ApiScope, ApiToken

TOKEN_PREFIX = "osdi_"


@dataclass(frozen=True)
class OsdiAccess:
    """What a request presenting a token may do: the campaign's context and the scopes."""

    ctx: CampaignContext
    token: ApiToken

    def require(self, scope: ApiScope) -> None:
        if scope.value not in self.token.scopes:
            raise PermissionDenied(
                f"ce jeton n'a pas la portée « {scope.value} » (portées : "
                f"{', '.join(self.token.scopes)})",
                status=403,
                loc="jeton",
            )


def parse_scopes(values: list[str] | None) -> list[str]:
    """The scopes asked for (``read`` without any), refused when one is unknown."""
    wanted = values or [ApiScope.read.value]
    known = {scope.value for scope in ApiScope}
    for value in wanted:
        if value not in known:
            raise CircoError(
                f"portée inconnue « {value} » : read ou write (ex. --scope read --scope write)",
                loc="portée",
            )
    return sorted(set(wanted), key=[scope.value for scope in ApiScope].index)


def create_token(
    session: Session, *, campaign: Campaign, name: str, scopes: list[str] | None
) -> tuple[str, ApiToken]:
    """A new token of ``campaign``: returned once in clear, stored as a hash."""
    clean_name = " ".join(name.split())[:100]
    if not clean_name:
        raise CircoError("nom du jeton requis (ex. --name synchro-site)", loc="nom")
    token = new_token(TOKEN_PREFIX)
    api_token = ApiToken(
        campaign_id=campaign.id,
        name=clean_name,
        token_hash=token_hash(token),
        prefix=token[:12],
        scopes=parse_scopes(scopes),
    )
    session.add(api_token)
    session.flush()
    return token, api_token


def access_for(session: Session, raw_token: str) -> OsdiAccess:
    """The access a presented token gives; 401 for an unknown or revoked one."""
    row = session.execute(
        select(ApiToken, Campaign)
        .join(Campaign, Campaign.id == ApiToken.campaign_id)
        .where(ApiToken.token_hash == token_hash(raw_token), ApiToken.revoked_at.is_(None))
    ).first()
    if row is None:
        raise AuthError("jeton OSDI invalide ou révoqué", loc="OSDI-API-Token")
    api_token, campaign = row
    actor = Actor(email=f"osdi:{api_token.prefix}")
    return OsdiAccess(CampaignContext(campaign=campaign, role=Role.data, actor=actor), api_token)


def revoke_token(session: Session, *, campaign: Campaign, token_id: int) -> ApiToken:
    """Revoke a token of ``campaign`` (a token of another campaign is unknown here)."""
    row = session.scalar(
        select(ApiToken).where(campaign_filter(ApiToken, campaign.id), ApiToken.id == token_id)
    )
    if row is None:
        raise NotFound(f"jeton OSDI {token_id} inconnu dans cette campagne", loc="jeton")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
    return row
