"""Tables of the finance domain: the campaign's account (election, ceiling, period), donations
with their receipts, other income, expenses with their invoices, bank statement lines.

Amounts are integer euro cents. Donors are people: their rows are kept for the legal period
(see `circo.finance.personal`)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from circo.db import Base, UTCDateTime, str_enum, utcnow


class PaymentMethod(enum.StrEnum):
    cheque = "cheque"
    transfer = "transfer"
    card = "card"
    cash = "cash"
    direct_debit = "direct_debit"


class DonorKind(enum.StrEnum):
    person = "person"  # a natural person (L52-8)
    party = "party"  # a political party or group (L52-8: the only legal person allowed)


class ReceiptStatus(enum.StrEnum):
    issued = "issued"
    cancelled = "cancelled"


class IncomeKind(enum.StrEnum):
    personal = "personal"  # apport personnel du candidat
    party = "party"  # contribution d'un parti
    loan = "loan"  # emprunt (with a repayment schedule)
    in_kind = "in_kind"  # concours en nature, valued


class ExpenseCategory(enum.StrEnum):
    """The expense headings of the compte de campagne form (CNCCFP)."""

    staff = "staff"  # frais de personnel
    premises = "premises"  # locaux, permanence
    travel = "travel"  # déplacements, transports
    meetings = "meetings"  # réunions publiques
    printing = "printing"  # impressions, propagande non remboursée par l'État
    advertising = "advertising"  # publicité, communication (hors période L52-1)
    digital = "digital"  # site internet, réseaux, numérique
    fees = "fees"  # honoraires (expert-comptable, conseils)
    bank = "bank"  # frais bancaires, financiers
    other = "other"  # divers


class AccountFinance(Base):
    """One per campaign: the election the money is for and what follows from it."""

    __tablename__ = "fin_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), unique=True
    )
    election_key: Mapped[str] = mapped_column(String(40))  # "leg-2027"
    election_type: Mapped[str] = mapped_column(String(32))
    territory: Mapped[str] = mapped_column(String(40), default="")
    first_round: Mapped[date] = mapped_column(Date)
    population: Mapped[int] = mapped_column(Integer, default=0)
    population_source: Mapped[str] = mapped_column(String(200), default="")
    ceiling_cents: Mapped[int] = mapped_column(Integer)
    ceiling_override: Mapped[bool] = mapped_column(Boolean, default=False)
    ceiling_explanation: Mapped[str] = mapped_column(Text, default="")
    financing_from: Mapped[date] = mapped_column(Date)
    file_by: Mapped[date] = mapped_column(Date)
    mandataire: Mapped[str] = mapped_column(String(200), default="")
    candidate: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Donation(Base):
    """A donation received by the mandataire; the donor's identity is kept as given on the
    receipt (L52-8: identity, nationality or residence)."""

    __tablename__ = "fin_donations"
    __table_args__ = (Index("ix_fin_donations_donor", "campaign_id", "donor_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    election_key: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("crm_contacts.id", ondelete="SET NULL"), index=True
    )
    donor_kind: Mapped[DonorKind] = mapped_column(
        str_enum(DonorKind, name="donor_kind", length=8), default=DonorKind.person
    )
    donor_key: Mapped[str] = mapped_column(String(200))  # folded names: donations.donor_key
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100), default="")
    party_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(320), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    nationality: Mapped[str] = mapped_column(String(2), default="")  # "FR"
    resident: Mapped[bool] = mapped_column(Boolean, default=False)
    amount_cents: Mapped[int] = mapped_column(Integer)
    method: Mapped[PaymentMethod] = mapped_column(str_enum(PaymentMethod, name="method", length=16))
    received_on: Mapped[date] = mapped_column(Date)
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Receipt(Base):
    """A numbered reçu-don: numbers follow each other without gaps within the campaign; a
    cancelled receipt keeps its number, marked cancelled."""

    __tablename__ = "fin_receipts"
    __table_args__ = (UniqueConstraint("campaign_id", "number", name="uq_fin_receipts_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    donation_id: Mapped[int] = mapped_column(
        ForeignKey("fin_donations.id", ondelete="RESTRICT"), unique=True
    )
    status: Mapped[ReceiptStatus] = mapped_column(
        str_enum(ReceiptStatus, name="status", length=12), default=ReceiptStatus.issued
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")


class Income(Base):
    """Other resources: personal contribution, party contributions, loans, in-kind."""

    __tablename__ = "fin_income"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IncomeKind] = mapped_column(str_enum(IncomeKind, name="kind", length=12))
    amount_cents: Mapped[int] = mapped_column(Integer)
    received_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(200), default="")  # party, lender, giver
    description: Mapped[str] = mapped_column(Text, default="")
    # Loans: "YYYY-MM-DD:cents;…" schedule, as entered (checked by ledger.parse_schedule).
    repayment_schedule: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Expense(Base):
    """An expense of the campaign, with its invoice file kept in the data dir's finance
    archive."""

    __tablename__ = "fin_expenses"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[ExpenseCategory] = mapped_column(
        str_enum(ExpenseCategory, name="category", length=16)
    )
    supplier: Mapped[str] = mapped_column(String(200))
    spent_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    paid: Mapped[bool] = mapped_column(Boolean, default=True)
    before_period: Mapped[bool] = mapped_column(Boolean, default=False)
    invoice_path: Mapped[str] = mapped_column(String(400), default="")  # under the data dir
    invoice_name: Mapped[str] = mapped_column(String(200), default="")
    invoice_sha256: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BankLine(Base):
    """One line of the mandataire's bank statement, matched to a donation or an expense."""

    __tablename__ = "fin_bank_lines"
    __table_args__ = (UniqueConstraint("campaign_id", "fingerprint", name="uq_fin_bank_lines"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    fingerprint: Mapped[str] = mapped_column(String(64))  # the same line imported twice: once
    booked_on: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int] = mapped_column(Integer)  # credit > 0, debit < 0
    label: Mapped[str] = mapped_column(Text, default="")
    donation_id: Mapped[int | None] = mapped_column(
        ForeignKey("fin_donations.id", ondelete="SET NULL")
    )
    expense_id: Mapped[int | None] = mapped_column(
        ForeignKey("fin_expenses.id", ondelete="SET NULL")
    )
    income_id: Mapped[int | None] = mapped_column(ForeignKey("fin_income.id", ondelete="SET NULL"))
    source_file: Mapped[str] = mapped_column(String(200), default="")
    source_line: Mapped[int | None] = mapped_column(Integer)
