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


class PersonPost(_Lenient):
    """``POST /people`` (a person, OSDI fields at the top level) and ``PUT /people/{id}``."""

    given_name: Name | None = None
    family_name: Name | None = None
    email_addresses: list[EmailAddressIn] = Field(default_factory=list, max_length=5)
    phone_numbers: list[PhoneNumberIn] = Field(default_factory=list, max_length=5)
    postal_addresses: list[PostalAddressIn] = Field(default_factory=list, max_length=3)
    add_tags: list[Annotated[ShortText, StringConstraints(max_length=100)]] = Field(
        default_factory=list, max_length=50
    )


class TagIn(_Lenient):
    """``POST /tags``."""

    name: Annotated[ShortText, StringConstraints(min_length=1, max_length=100)]


class Href(_Lenient):
    href: Annotated[str, StringConstraints(max_length=2000)]


class PersonLinks(_Lenient):
    person: Href | None = Field(default=None, alias="osdi:person")


class PersonRef(_Lenient):
    """Who: a link to a person of the campaign (``_links.osdi:person.href``), or a person
    given inline (matched or created with the signup helper's rules)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    links: PersonLinks | None = Field(default=None, alias="_links")
    person: PersonIn | None = None


class TaggingIn(PersonRef):
    """``POST /tags/{id}/taggings``."""


AttendanceStatus = Literal["accepted", "declined", "tentative", "needs action"]


class AttendanceIn(PersonRef):
    """``POST /events/{id}/attendances``."""

    status: AttendanceStatus = "accepted"
    attended: bool | None = None


class AttendanceUpdate(_Lenient):
    """``PUT /events/{id}/attendances/{id}``."""

    status: AttendanceStatus | None = None
    attended: bool | None = None


class SubmissionIn(PersonRef):
    """``POST /forms/{id}/submissions``."""
