"""The cheap reading of the migration files agrees with Alembic's own script directory."""

from __future__ import annotations

from alembic.script import ScriptDirectory

from circo.db import alembic_config, make_engine
from circo.schema_revisions import known_revisions, schema_state


def test_known_revisions_match_alembic() -> None:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    revisions, heads = known_revisions()
    assert revisions == {revision.revision for revision in script.walk_revisions()}
    assert heads == set(script.get_heads())
    assert len(heads) >= 2  # one branch per domain


def test_schema_state() -> None:
    _, heads = known_revisions()
    assert schema_state(set(heads)) == "current"
    assert schema_state(set(heads) - {sorted(heads)[0]}) == "outdated"
    assert schema_state(set(heads) | {"from_the_future_0099"}) == "unknown"
