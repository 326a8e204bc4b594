"""Shared setup of the assistant benchmarks: a fresh SQLite database with one campaign."""

from __future__ import annotations

import tempfile
from pathlib import Path

from circo.config import Settings
from circo.core.service import create_campaign
from circo.core.tenancy import CampaignContext, system_context
from circo.runtime import Runtime, open_runtime


def fresh_runtime(folder: Path | None = None) -> Runtime:
    data_dir = folder or Path(tempfile.mkdtemp(prefix="circo-bench-"))
    settings = Settings(env="test", data_dir=data_dir, secret_key="bench-secret-key-0123456789")
    return open_runtime(settings, migrate=True)


def new_campaign(runtime: Runtime, slug: str = "bench") -> CampaignContext:
    with runtime.session() as session:
        campaign = create_campaign(
            session,
            slug=slug,
            name=f"Benchmark {slug}",
            territory_code="69123",
            territory_name="Lyon",
        )
    return system_context(campaign)
