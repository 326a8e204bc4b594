"""Consent per channel, opposition, SMS opt-in, sensitive data, the consent CLI."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from circo.cli import app
from circo.crm.contacts import record_answer
from circo.privacy import (
    POLITICAL_OPINIONS,
    can_contact,
    decide_many,
    record_consent,
    record_opposition,
)
from circo.privacy.errors import ConsentRequired
from tests.crm.helpers import ctx_of, make_contact
from tests.factories import make_campaign


def test_can_contact_rules(session: Session) -> None:
    ctx = ctx_of(make_campaign(session))
    plain = make_contact(
        session,
        ctx,
        email="a@example.org",
        phone="0612345678",
        address_line="1 rue A",
        postal_code="69001",
    )
    supporter = make_contact(
        session,
        ctx,
        last_name="Sym",
        email="s@example.org",
        phone="0612345679",
        relationship_kind="supporter",
    )
    # no record: email needs consent (or a regular relationship), sms needs prior opt-in
    assert not can_contact(session, ctx, plain.id, "email").allowed
    assert can_contact(session, ctx, supporter.id, "email").basis == "legitimate_interest"
    assert not can_contact(session, ctx, supporter.id, "sms").allowed
    assert can_contact(session, ctx, plain.id, "post").allowed
    record = record_consent(
        session,
        ctx,
        contact_id=plain.id,
        channel="sms",
        status="granted",
        source="formulaire web",
        proof={"form": "adhesion", "ip": "192.0.2.1"},
    )
    decision = can_contact(session, ctx, plain.id, "sms")
    assert decision.allowed
    assert decision.basis == "consent"
    assert decision.consent_id == record.id
    record_consent(
        session, ctx, contact_id=plain.id, channel="sms", status="withdrawn", source="STOP"
    )
    assert not can_contact(session, ctx, plain.id, "sms").allowed
    record_opposition(session, ctx, contact_id=supporter.id, source="courrier")
    for channel in ("email", "sms", "phone", "post"):
        assert not can_contact(session, ctx, supporter.id, channel).allowed
    many = decide_many(session, ctx, contact_ids=[plain.id, supporter.id, 999999], channel="email")
    assert not many[999999].allowed
    assert "inconnu" in many[999999].reason


def test_political_opinion_needs_explicit_consent(session: Session) -> None:
    ctx = ctx_of(make_campaign(session))
    contact = make_contact(session, ctx)
    with pytest.raises(ConsentRequired):
        record_answer(
            session, ctx, contact_id=contact.id, question="vote", answer="nous", sensitive=True
        )
    record_consent(
        session,
        ctx,
        contact_id=contact.id,
        channel=POLITICAL_OPINIONS,
        status="granted",
        source="questionnaire signé",
    )
    answer = record_answer(
        session, ctx, contact_id=contact.id, question="vote", answer="nous", sensitive=True
    )
    assert answer.sensitive


def test_consent_cli_and_other_campaign_is_unknown(
    session: Session, cli_env: dict[str, str]
) -> None:
    a = make_campaign(session, slug="camp-a")
    b = make_campaign(session, slug="camp-b")
    contact = make_contact(session, ctx_of(a), email="e@example.org", phone="0612345678")
    session.commit()
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "consent",
            "set",
            "--email",
            "E@example.org",
            "--channel",
            "sms",
            "--status",
            "granted",
            "--source",
            "salon",
            "--campaign",
            "camp-a",
        ],
    )
    assert result.exit_code == 0, result.output
    assert can_contact(session, ctx_of(a), contact.id, "sms").allowed
    assert not can_contact(session, ctx_of(b), contact.id, "sms").allowed
    session.rollback()
    refused = runner.invoke(
        app,
        [
            "consent",
            "set",
            "--email",
            "e@example.org",
            "--channel",
            "fax",
            "--status",
            "granted",
            "--campaign",
            "camp-a",
        ],
    )
    assert refused.exit_code == 2
    assert "canal inconnu" in refused.output
    unknown = runner.invoke(
        app,
        [
            "consent",
            "set",
            "--email",
            "e@example.org",
            "--channel",
            "sms",
            "--status",
            "granted",
            "--campaign",
            "camp-b",
        ],
    )
    assert unknown.exit_code == 2
    assert "aucun contact" in unknown.output
