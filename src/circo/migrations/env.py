"""Alembic environment: the engine comes from circo (never from an ini file)."""

from alembic import context

from circo.db import Base
from circo.domains import load_domains

load_domains()  # every domain's tables in the metadata (the manifest lists their modules)

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
