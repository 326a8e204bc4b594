"""Alembic environment: the engine comes from circo (never from an ini file)."""

from alembic import context

from circo.db import Base
from circo.domains import load_domains

load_domains()  # every domain's tables in the metadata (the manifest lists their modules)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch operations rebuild a table (copy, drop, rename); with foreign keys on, dropping
        # the old copy of a parent table would cascade to its children. Off for the migration —
        # set outside any transaction, where SQLite honours it — then checked and back on.
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
    if sqlite:
        driver = connection.connection.driver_connection
        broken = driver.execute("PRAGMA foreign_key_check").fetchall()
        driver.execute("PRAGMA foreign_keys=ON")
        if broken:
            raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")
