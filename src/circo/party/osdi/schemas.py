"""Request bodies of the OSDI API (OSDI field names; unknown fields are ignored, as OSDI asks)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from circo.bounds import ShortText

Name = Annotated[ShortText, StringConstraints(max_length=200)]
EmailStatus = Literal[
    "subscribed",
    "unsubscribed",
    "bouncing",
    "previous bounce",
    "spam complaint",
    "previous spam complaint",
]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EmailAddressIn(_Lenient):
    address: Annotated[ShortText, StringConstraints(max_length=320)]
    primary: bool | None = None
    status: EmailStatus | None = None


class PhoneNumberIn(_Lenient):
    number: Annotated[ShortText, StringConstraints(max_length=32)]
    primary: bool | None = None


class PostalAddressIn(_Lenient):
    address_lines: list[Annotated[ShortText, StringConstraints(max_length=300)]] = Field(
        default_factory=list, max_length=3
    )
    locality: Name | None = None
    postal_code: Annotated[ShortText, StringConstraints(max_length=10)] | None = None


class PersonIn(_Lenient):
    given_name: Name = ""
    family_name: Name = ""
    email_addresses: list[EmailAddressIn] = Field(default_factory=list, max_length=5)
    phone_numbers: list[PhoneNumberIn] = Field(default_factory=list, max_length=5)
    postal_addresses: list[PostalAddressIn] = Field(default_factory=list, max_length=3)


class PersonSignup(_Lenient):
    """``POST /api/osdi/v1/people/person_signup_helper``."""

    person: PersonIn
    add_tags: list[Annotated[ShortText, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )
