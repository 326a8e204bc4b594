"""The cheap reading of the migration files agrees with Alembic's own script directory."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory

from circo.db import alembic_config, current_revisions, make_engine, upgrade
from circo.schema_revisions import known_revisions, schema_state


def test_known_revisions_match_alembic() -> None:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    revisions, heads = known_revisions()
    assert revisions == {revision.revision for revision in script.walk_revisions()}
    # A revision another one ``depends_on`` stays a head of the script, but Alembic keeps only
    # the dependent revision in the version table: `known_revisions` gives what the table holds.
    needed: set[str] = set()
    for revision in script.walk_revisions():
        dependencies = revision.dependencies or ()
        needed.update([dependencies] if isinstance(dependencies, str) else dependencies)
    assert heads == set(script.get_heads()) - needed
    assert len(heads) >= 2  # one branch per domain


def test_known_heads_are_what_an_upgraded_database_holds(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'circo.db'}")
    upgrade(engine)
    try:
        assert current_revisions(engine) == set(known_revisions()[1])
    finally:
        engine.dispose()


def test_schema_state() -> None:
    _, heads = known_revisions()
    assert schema_state(set(heads)) == "current"
    assert schema_state(set(heads) - {sorted(heads)[0]}) == "outdated"
    assert schema_state(set(heads) | {"from_the_future_0099"}) == "unknown"
