"""Request and response bodies of the finance API (amounts in euros, dates ISO)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from circo.bounds import ReadModel, SaneDate, ShortText

Euros = Annotated[float, Field(gt=0, le=100_000_000, allow_inf_nan=False)]
Name = Annotated[ShortText, StringConstraints(max_length=100)]
Method = Literal["cheque", "transfer", "card", "cash", "direct_debit"]
Category = Literal[
    "staff",
    "premises",
    "travel",
    "meetings",
    "printing",
    "advertising",
    "digital",
    "fees",
    "bank",
    "other",
]


class DonationIn(BaseModel):
    """A donation: a natural person (first and last name, nationality FR or resident) or a
    political party (``party``). ``company`` is refused (L52-8) unless it is a party."""

    amount_eur: Euros
    method: Method
    date: SaneDate
    first_name: Name = ""
    last_name: Name = ""
    email: Annotated[ShortText, StringConstraints(max_length=320)] = ""
    address: Annotated[ShortText, StringConstraints(max_length=500)] = ""
    nationality: Annotated[ShortText, StringConstraints(max_length=2)] = ""
    resident: bool = False
    company: Annotated[ShortText, StringConstraints(max_length=200)] = ""
    party: Annotated[ShortText, StringConstraints(max_length=200)] = ""


class DonationRead(ReadModel):
    id: int
    receipt: str
    donor_total_eur: float


class DonationRow(ReadModel):
    id: int
    receipt: str
    receipt_status: str
    date: str
    donor: str
    method: str
    amount_eur: float
    cancelled: bool


class ExpenseIn(BaseModel):
    amount_eur: Euros
    category: Category
    supplier: Annotated[ShortText, StringConstraints(min_length=1, max_length=200)]
    date: SaneDate
    description: Annotated[ShortText, StringConstraints(max_length=500)] = ""
    paid: bool = True


class ExpenseRead(ReadModel):
    id: int
    amount_eur: float
    category: str
    before_period: bool
    invoice: str | None


class StatusRead(ReadModel):
    """The `circo finance status --json` shape."""

    received_eur: float
    spent_eur: float
    cash_eur: float
    ceiling_eur: float
    donations: int
    alerts: list[str]
