"""candidate votes: no secondary index, national sums kept on the candidate

``el_candidates.total_votes`` holds each candidate's sum over the round's bureaux (written by
the import with the vote rows); the national results read it. The index
``ix_el_candidate_votes_election (election_id, candidate_id, votes)`` served only those sums and
cost ≈ 1 s of every national import to rebuild: it goes. On SQLite ``el_candidate_votes``
becomes a ``WITHOUT ROWID`` table (its primary key is the table: one B-tree to write).

The votes lose their foreign key to ``el_candidates``: SQLite checked each deleted candidate with
a scan of every round's votes (no index leads with ``candidate_id``), minutes for replacing a
législatives round beside another national round (see `CandidateVotes`).

Revision ID: elections_0005_votes_no_index
Revises: elections_0004_territory_source
Create Date: 2026-12-03 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "elections_0005_votes_no_index"
down_revision: str | Sequence[str] | None = "elections_0004_territory_source"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table as `elections_0001` created it, with ``{candidate_key}`` (the candidate's foreign
# key, or nothing) and ``{options}`` after the closing parenthesis.
VOTES_TABLE_SQL = """
CREATE TABLE {name} (
    station_result_id INTEGER NOT NULL,
    candidate_id INTEGER NOT NULL,
    election_id INTEGER NOT NULL,
    votes INTEGER NOT NULL,
    CONSTRAINT pk_el_candidate_votes PRIMARY KEY (station_result_id, candidate_id),
    CONSTRAINT fk_el_candidate_votes_station_result_id_el_station_results
        FOREIGN KEY(station_result_id) REFERENCES el_station_results (id) ON DELETE CASCADE,{candidate_key}
    CONSTRAINT fk_el_candidate_votes_election_id_el_elections
        FOREIGN KEY(election_id) REFERENCES el_elections (id) ON DELETE CASCADE
){options}
"""
CANDIDATE_KEY = "fk_el_candidate_votes_candidate_id_el_candidates"
CANDIDATE_KEY_SQL = f"""
    CONSTRAINT {CANDIDATE_KEY}
        FOREIGN KEY(candidate_id) REFERENCES el_candidates (id) ON DELETE CASCADE,"""
INDEX_NAME = "ix_el_candidate_votes_election"


def _rebuild_sqlite_votes(options: str, candidate_key: str) -> None:
    """Copy ``el_candidate_votes`` into a table created with ``options`` and ``candidate_key``
    and swap them."""
    op.execute(
        VOTES_TABLE_SQL.format(
            name="el_candidate_votes_new", options=options, candidate_key=candidate_key
        )
    )
    op.execute(
        "INSERT INTO el_candidate_votes_new (station_result_id, candidate_id, election_id, votes) "
        "SELECT station_result_id, candidate_id, election_id, votes FROM el_candidate_votes "
        "ORDER BY station_result_id, candidate_id"
    )
    op.execute("DROP TABLE el_candidate_votes")
    op.execute("ALTER TABLE el_candidate_votes_new RENAME TO el_candidate_votes")


def upgrade() -> None:
    with op.batch_alter_table("el_candidates") as batch:
        batch.add_column(sa.Column("total_votes", sa.Integer(), nullable=False, server_default="0"))
    # While the index is there to answer it: each candidate's sum over its round.
    op.execute(
        "UPDATE el_candidates SET total_votes = COALESCE((SELECT SUM(v.votes) "
        "FROM el_candidate_votes v WHERE v.election_id = el_candidates.election_id "
        "AND v.candidate_id = el_candidates.id), 0)"
    )
    if op.get_bind().dialect.name == "sqlite":
        # drops the index and the candidate's key with the old table
        _rebuild_sqlite_votes(" WITHOUT ROWID", "")
    else:
        op.drop_index(INDEX_NAME, table_name="el_candidate_votes")
        op.drop_constraint(CANDIDATE_KEY, "el_candidate_votes", type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite_votes("", CANDIDATE_KEY_SQL)
    else:
        op.create_foreign_key(
            CANDIDATE_KEY,
            "el_candidate_votes",
            "el_candidates",
            ["candidate_id"],
            ["id"],
            ondelete="CASCADE",
        )
    op.create_index(
        INDEX_NAME, "el_candidate_votes", ["election_id", "candidate_id", "votes"], unique=False
    )
    with op.batch_alter_table("el_candidates") as batch:
        batch.drop_column("total_votes")
