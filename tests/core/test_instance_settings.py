"""Settings saved on the settings page reach background jobs and commands; the environment
wins; the address the server was reached at is the public URL until one is set."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from circo.config import Settings
from circo.core import instance, jobs
from circo.core.models import InstanceSetting, Job
from circo.runtime import Runtime


def _report_settings(session: Session, settings: Settings, job: Job) -> dict[str, Any]:
    return {"base_url": settings.base_url, "smtp_from": settings.smtp_from}


jobs.register_handler("test.report_settings", _report_settings)


def _bare(settings: Settings) -> Settings:
    return Settings(
        env="test",
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        secret_key=settings.secret_key,
    )


def test_a_job_sees_the_saved_settings_and_the_recorded_address(
    runtime: Runtime, session: Session, settings: Settings
) -> None:
    bare = _bare(settings)
    assert instance.remember_base_url(session, bare, "http://192.168.1.20:8123/")
    assert not instance.remember_base_url(session, bare, "http://192.168.1.20:8123")  # same
    instance.save(session, bare, values={"smtp_from": "Campagne <c@example.org>"})
    job = jobs.enqueue(session, kind="test.report_settings")
    session.commit()
    assert jobs.run_pending(runtime.factory, bare, kinds={"test.report_settings"}) == 1
    session.expire_all()
    done = session.get(Job, job.id)
    assert done is not None
    assert done.result == {
        "base_url": "http://192.168.1.20:8123",
        "smtp_from": "Campagne <c@example.org>",
    }
    # a URL saved on the page replaces the recorded address, and logins no longer change it
    instance.save(session, bare, values={"base_url": "https://circo.example.org"})
    assert not instance.remember_base_url(session, bare, "http://10.0.0.1:8000")
    assert instance.effective(session, bare).base_url == "https://circo.example.org"
    # the environment (here: the fixture's explicit base_url) wins over both
    assert instance.effective(session, settings).base_url == "http://testserver"


def test_secrets_are_encrypted_and_cleared_only_on_request(
    session: Session, settings: Settings
) -> None:
    instance.save(session, settings, values={"smtp_password": "mot-de-passe-smtp"})
    row = session.get(InstanceSetting, "smtp_password")
    assert row is not None
    assert row.secret
    assert "mot-de-passe" not in row.value
    # an empty secret field keeps the stored secret
    assert instance.save(session, settings, values={"smtp_password": ""}) == []
    assert instance.effective(session, settings).smtp_password == "mot-de-passe-smtp"
    # another secret key cannot read it (the page then asks to type it again)
    other = settings.model_copy(update={"secret_key": "another-secret-key-0123456789abcd"})
    assert "smtp_password" not in instance.stored_values(session, other)
    assert instance.save(session, settings, values={}, clear_secrets={"smtp_password"}) == [
        "smtp_password"
    ]
    assert instance.effective(session, settings).smtp_password is None


def test_init_creates_an_overseas_campaign(settings: Settings, session: Session) -> None:
    from sqlalchemy import select

    from circo.core.models import Campaign
    from tests.server import run_cli

    created = run_cli(settings, "init", "--campaign", "pointe", "--timezone", "America/Guadeloupe")
    assert created.returncode == 0, created.stderr
    refused = run_cli(settings, "init", "--campaign", "autre", "--timezone", "Europe/Lyon")
    assert refused.returncode == 2
    assert "fuseau horaire inconnu « Europe/Lyon »" in refused.stderr
    zone = session.scalar(select(Campaign.timezone).where(Campaign.slug == "pointe"))
    assert zone == "America/Guadeloupe"
