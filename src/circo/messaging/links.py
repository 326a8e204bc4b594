"""Signed links put in messages: one-click unsubscribe, open pixel, click redirect, SMS webhook.

Each token is signed with the instance secret (`circo.core.security.sign`) and a salt of its
own; unsubscribe links do not expire (a person may unsubscribe from an old message).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from circo.config import Settings
from circo.core.security import sign, unsign

UNSUBSCRIBE_SALT = "messaging-unsubscribe"
TRACK_SALT = "messaging-track"
INBOUND_SALT = "messaging-sms-inbound"


@dataclass(frozen=True)
class UnsubscribeToken:
    campaign_id: int
    contact_id: int
    channel: str
    message_id: int | None


@dataclass(frozen=True)
class Links:
    """Builds and reads the signed links of one instance (key read once)."""

    key: str
    base_url: str

    @classmethod
    def of(cls, settings: Settings) -> Links:
        return cls(settings.effective_secret_key(), settings.base_url.rstrip("/"))

    def unsubscribe_token(self, token: UnsubscribeToken) -> str:
        payload = [token.campaign_id, token.contact_id, token.channel, token.message_id]
        return sign(self.key, UNSUBSCRIBE_SALT, payload)

    def unsubscribe_url(self, token: UnsubscribeToken) -> str:
        return f"{self.base_url}/u/{self.unsubscribe_token(token)}"

    def read_unsubscribe(self, token: str) -> UnsubscribeToken:
        """The token's content; ValueError when forged."""
        payload = unsign(self.key, UNSUBSCRIBE_SALT, token, max_age_seconds=None)
        if not isinstance(payload, list) or len(payload) != 4:
            raise ValueError("lien invalide")
        campaign_id, contact_id, channel, message_id = payload
        return UnsubscribeToken(int(campaign_id), int(contact_id), str(channel), message_id)

    def open_pixel_url(self, delivery_id: int) -> str:
        return f"{self.base_url}/m/o/{sign(self.key, TRACK_SALT, [delivery_id, ''])}"

    def click_url(self, delivery_id: int, target: str) -> str:
        token = sign(self.key, TRACK_SALT, [delivery_id, target])
        return f"{self.base_url}/m/c/{token}?u={quote(target, safe='')}"

    def read_track(self, token: str) -> tuple[int, str]:
        """(delivery id, target url — empty for the open pixel); ValueError when forged."""
        payload = unsign(self.key, TRACK_SALT, token, max_age_seconds=None)
        if not isinstance(payload, list) or len(payload) != 2:
            raise ValueError("lien invalide")
        return int(payload[0]), str(payload[1])

    def inbound_url(self, campaign_id: int) -> str:
        token = sign(self.key, INBOUND_SALT, campaign_id)
        return f"{self.base_url}/api/messaging/sms-inbound/{token}"

    def read_inbound(self, token: str) -> int:
        payload = unsign(self.key, INBOUND_SALT, token, max_age_seconds=None)
        if not isinstance(payload, int):
            raise ValueError("lien invalide")
        return payload
