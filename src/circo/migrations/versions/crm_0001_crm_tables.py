"""crm tables

Revision ID: crm_0001
Revises: core_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import circo.db

revision: str = "crm_0001"
down_revision: str | Sequence[str] | None = "core_0001"
branch_labels: str | Sequence[str] | None = ("crm",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crm_geo_addresses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("postal_code", sa.String(length=5), nullable=False),
        sa.Column("street_key", sa.String(length=200), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=300), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_geo_addresses")),
    )
    with op.batch_alter_table("crm_geo_addresses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_geo_addresses_commune_code"), ["commune_code"], unique=False
        )
        batch_op.create_index(
            "ix_crm_geo_addresses_key", ["postal_code", "street_key", "number"], unique=False
        )

    op.create_table(
        "crm_station_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=False),
        sa.Column("polling_station", sa.String(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_station_points")),
    )
    with op.batch_alter_table("crm_station_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_station_points_commune_code"), ["commune_code"], unique=False
        )

    op.create_table(
        "crm_custom_fields",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_custom_fields_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_custom_fields")),
    )
    with op.batch_alter_table("crm_custom_fields", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_custom_fields_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index("ix_crm_custom_fields_key", ["campaign_id", "key"], unique=True)

    op.create_table(
        "crm_electoral_rolls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("election_label", sa.String(length=200), nullable=False),
        sa.Column("election_date", sa.Date(), nullable=False),
        sa.Column("round_number", sa.Integer(), nullable=True),
        sa.Column("obtained_from", sa.String(length=200), nullable=True),
        sa.Column("purge_after", sa.Date(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_electoral_rolls_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_electoral_rolls")),
    )
    with op.batch_alter_table("crm_electoral_rolls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_electoral_rolls_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "crm_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reminder_hours", sa.Integer(), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_events_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_events")),
    )
    with op.batch_alter_table("crm_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_events_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "crm_households",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("address_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_households_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_households")),
    )
    with op.batch_alter_table("crm_households", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_households_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index("ix_crm_households_key", ["campaign_id", "address_key"], unique=True)

    op.create_table(
        "crm_import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_import_batches_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_import_batches")),
    )
    with op.batch_alter_table("crm_import_batches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_import_batches_campaign_id"), ["campaign_id"], unique=False
        )

    op.create_table(
        "crm_segments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("filters", sa.JSON(), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_segments_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_segments")),
    )
    with op.batch_alter_table("crm_segments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_segments_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index("ix_crm_segments_name", ["campaign_id", "name"], unique=True)

    op.create_table(
        "crm_tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_tags_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_tags")),
    )
    with op.batch_alter_table("crm_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_tags_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index("ix_crm_tags_name", ["campaign_id", "name"], unique=True)

    op.create_table(
        "crm_teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_teams_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_teams")),
    )
    with op.batch_alter_table("crm_teams", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_teams_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index("ix_crm_teams_name", ["campaign_id", "name"], unique=True)

    op.create_table(
        "crm_contacts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=200), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("other_emails", sa.JSON(), nullable=False),
        sa.Column("other_phones", sa.JSON(), nullable=False),
        sa.Column("address_line", sa.String(length=300), nullable=True),
        sa.Column("postal_code", sa.String(length=10), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("polling_station", sa.String(length=32), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("geocode_score", sa.Float(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("relationship_kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("search_name", sa.String(length=400), nullable=False),
        sa.Column("search_name_rev", sa.String(length=400), nullable=False),
        sa.Column("name_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_contacts_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["crm_households.id"],
            name=op.f("fk_crm_contacts_household_id_crm_households"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_contacts")),
    )
    with op.batch_alter_table("crm_contacts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_contacts_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crm_contacts_commune_code"), ["commune_code"], unique=False
        )
        batch_op.create_index("ix_crm_contacts_email", ["campaign_id", "email"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_crm_contacts_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_crm_contacts_name_key"), ["name_key"], unique=False)
        batch_op.create_index("ix_crm_contacts_phone", ["campaign_id", "phone"], unique=False)
        batch_op.create_index(
            "ix_crm_contacts_search_name", ["campaign_id", "search_name"], unique=False
        )
        batch_op.create_index(
            "ix_crm_contacts_search_name_rev", ["campaign_id", "search_name_rev"], unique=False
        )
        batch_op.create_index(
            "ix_crm_contacts_station", ["campaign_id", "polling_station"], unique=False
        )

    op.create_table(
        "crm_roll_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("roll_id", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=200), nullable=False),
        sa.Column("first_names", sa.String(length=200), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("birth_place", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("commune_code", sa.String(length=5), nullable=True),
        sa.Column("polling_station", sa.String(length=32), nullable=True),
        sa.Column("voted", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_roll_entries_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["roll_id"],
            ["crm_electoral_rolls.id"],
            name=op.f("fk_crm_roll_entries_roll_id_crm_electoral_rolls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_roll_entries")),
    )
    with op.batch_alter_table("crm_roll_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_roll_entries_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_roll_entries_roll", ["roll_id", "polling_station"], unique=False
        )

    op.create_table(
        "crm_contact_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=200), nullable=False),
        sa.Column("answer", sa.String(length=500), nullable=False),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_contact_answers_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_contact_answers_contact_id_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_contact_answers")),
    )
    with op.batch_alter_table("crm_contact_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_contact_answers_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crm_contact_answers_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_contact_answers_q", ["campaign_id", "question", "answer"], unique=False
        )

    op.create_table(
        "crm_contact_tags",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_contact_tags_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_contact_tags_contact_id_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"],
            ["crm_tags.id"],
            name=op.f("fk_crm_contact_tags_tag_id_crm_tags"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("contact_id", "tag_id", name=op.f("pk_crm_contact_tags")),
    )
    with op.batch_alter_table("crm_contact_tags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_contact_tags_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_crm_contact_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "crm_duplicate_pairs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_a", sa.Integer(), nullable=False),
        sa.Column("contact_b", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_duplicate_pairs_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_a"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_duplicate_pairs_contact_a_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_b"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_duplicate_pairs_contact_b_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_duplicate_pairs")),
    )
    with op.batch_alter_table("crm_duplicate_pairs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_duplicate_pairs_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crm_duplicate_pairs_contact_b"), ["contact_b"], unique=False
        )
        batch_op.create_index(
            "ix_crm_duplicate_pairs_pair", ["campaign_id", "contact_a", "contact_b"], unique=True
        )

    op.create_table(
        "crm_event_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("invited_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("responded_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("checked_in_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", circo.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_event_attendees_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_event_attendees_contact_id_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["crm_events.id"],
            name=op.f("fk_crm_event_attendees_event_id_crm_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_event_attendees")),
    )
    with op.batch_alter_table("crm_event_attendees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_event_attendees_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crm_event_attendees_contact_id"), ["contact_id"], unique=False
        )
        batch_op.create_index(
            "ix_crm_event_attendees_pair", ["event_id", "contact_id"], unique=True
        )

    op.create_table(
        "crm_interactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_interactions_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_interactions_contact_id_crm_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_interactions")),
    )
    with op.batch_alter_table("crm_interactions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_interactions_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index("ix_crm_interactions_contact", ["contact_id", "at"], unique=False)

    op.create_table(
        "crm_volunteers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("availability", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("home_commune", sa.String(length=5), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("onboarding", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", circo.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_volunteers_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["crm_contacts.id"],
            name=op.f("fk_crm_volunteers_contact_id_crm_contacts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_crm_volunteers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_volunteers")),
    )
    with op.batch_alter_table("crm_volunteers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_volunteers_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index("ix_crm_volunteers_user", ["campaign_id", "user_id"], unique=True)

    op.create_table(
        "crm_team_members",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("is_leader", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_crm_team_members_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["crm_teams.id"],
            name=op.f("fk_crm_team_members_team_id_crm_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["crm_volunteers.id"],
            name=op.f("fk_crm_team_members_volunteer_id_crm_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "volunteer_id", name=op.f("pk_crm_team_members")),
    )
    with op.batch_alter_table("crm_team_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_team_members_campaign_id"), ["campaign_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crm_team_members_volunteer_id"), ["volunteer_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("crm_team_members")
    op.drop_table("crm_volunteers")
    op.drop_table("crm_interactions")
    op.drop_table("crm_event_attendees")
    op.drop_table("crm_duplicate_pairs")
    op.drop_table("crm_contact_tags")
    op.drop_table("crm_contact_answers")
    op.drop_table("crm_roll_entries")
    op.drop_table("crm_contacts")
    op.drop_table("crm_teams")
    op.drop_table("crm_tags")
    op.drop_table("crm_segments")
    op.drop_table("crm_import_batches")
    op.drop_table("crm_households")
    op.drop_table("crm_events")
    op.drop_table("crm_electoral_rolls")
    op.drop_table("crm_custom_fields")
    op.drop_table("crm_station_points")
    op.drop_table("crm_geo_addresses")
