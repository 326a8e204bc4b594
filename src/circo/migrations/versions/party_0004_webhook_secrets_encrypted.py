"""webhook secrets encrypted at rest

Revision ID: party_0004
Revises: party_0003
Create Date: 2026-12-03 12:50:00

A receiver's signing secret was stored in clear: the column widens to hold a Fernet token
(`circo.party.crypto`, a key derived from the installation's secret key) and every existing
secret is re-encrypted in place. The downgrade decrypts them back.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "party_0004"
down_revision: str | Sequence[str] | None = "party_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

webhooks = sa.table("party_webhooks", sa.column("id", sa.Integer), sa.column("secret", sa.String))


def _settings() -> Any:
    config = op.get_context().config
    settings = config.attributes.get("settings") if config is not None else None
    if settings is None:
        from circo.config import load_settings

        settings = load_settings()
    return settings


def _rewrite(transform: Any) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(webhooks.c.id, webhooks.c.secret)).all()
    for row_id, secret in rows:
        new = transform(secret)
        if new != secret:
            connection.execute(webhooks.update().where(webhooks.c.id == row_id).values(secret=new))


def upgrade() -> None:
    from circo.party import crypto

    with op.batch_alter_table("party_webhooks", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.String(length=128), type_=sa.String(length=300)
        )
    if op.get_bind().execute(sa.select(sa.func.count()).select_from(webhooks)).scalar():
        settings = _settings()
        _rewrite(
            lambda secret: secret if crypto.is_sealed(secret) else crypto.seal(settings, secret)
        )


def downgrade() -> None:
    from circo.party import crypto

    if op.get_bind().execute(sa.select(sa.func.count()).select_from(webhooks)).scalar():
        settings = _settings()

        def clear(secret: str) -> str:
            value = crypto.unseal(settings, secret)
            if value is None:
                raise RuntimeError("party_0004: a webhook secret no longer decrypts (key changed)")
            return value

        _rewrite(clear)
    with op.batch_alter_table("party_webhooks", schema=None) as batch_op:
        batch_op.alter_column(
            "secret", existing_type=sa.String(length=300), type_=sa.String(length=128)
        )
