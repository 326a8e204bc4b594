"""The elections domain holds one kind of personal data: the names of the candidates, as the
Ministry of the Interior publishes them with the official results (see `circo.core.personal`)."""

from __future__ import annotations

from circo.core.personal import PersonalData, TableRule

PERSONAL_DATA = PersonalData(
    tables={
        "el_candidates": TableRule(
            access="not about the campaign's contacts: public official results (open data of "
            "the Ministry of the Interior, Licence Ouverte)",
            erase="kept: a candidate's name in published official results is public record",
            merge="not linked to a contact",
        ),
    },
)
