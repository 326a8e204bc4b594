"""field: at most one active questionnaire per campaign (partial unique index)

Concurrent first syncs of the volunteer app each created the default questionnaire; the
duplicates are deactivated first (the newest active one per campaign stays active; visits
keep the questionnaire they were recorded with).

Revision ID: field_0003_questionnaire_unique
Revises: field_0002
Create Date: 2026-12-03 06:34:58
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "field_0003_questionnaire_unique"
down_revision: str | Sequence[str] | None = "field_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_questionnaires = sa.table(
    "field_questionnaires",
    sa.column("id", sa.Integer()),
    sa.column("campaign_id", sa.Integer()),
    sa.column("active", sa.Boolean()),
)


def upgrade() -> None:
    newest = (
        sa.select(sa.func.max(_questionnaires.c.id))
        .where(_questionnaires.c.active.is_(True))
        .group_by(_questionnaires.c.campaign_id)
    )
    op.execute(
        sa.update(_questionnaires)
        .where(_questionnaires.c.active.is_(True), _questionnaires.c.id.not_in(newest))
        .values(active=False)
    )
    with op.batch_alter_table("field_questionnaires", schema=None) as batch_op:
        batch_op.create_index(
            "uq_field_questionnaires_active",
            ["campaign_id"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )


def downgrade() -> None:
    with op.batch_alter_table("field_questionnaires", schema=None) as batch_op:
        batch_op.drop_index("uq_field_questionnaires_active")
