"""Organising: contacts, households, tags, custom fields, timeline, import/export, duplicates,
segments, electoral roll (L37) and émargement (L68), volunteers and teams, events.

Public API for the other domains (services take ``session`` first, then a `CampaignContext`;
they ``flush()``, never ``commit()``):

Contacts (`circo.crm.contacts`)
    ``visible_contacts(session, ctx) -> Select[Contact]`` — the only way to query contacts:
    scoped to the campaign and to what the role may see (volunteers: their turfs only, see
    `circo.privacy.scope` and `circo.field.scope`).
    ``get_contact(session, ctx, contact_id) -> Contact`` (404 outside the caller's view),
    ``create_contact(session, ctx, *, data: ContactCreate, source="saisie") -> Contact``,
    ``update_contact(session, ctx, *, contact_id, data: ContactUpdate) -> Contact``,
    ``find_by_identity(session, ctx, *, email=None, phone=None) -> list[Contact]``,
    ``search_contacts(session, ctx, *, query="", limit=50, offset=0) -> list[Contact]``,
    ``add_tags(session, ctx, *, contact_ids, names)``, ``tags_of(session, ctx, *, contact_ids)``,
    ``record_answer(session, ctx, *, contact_id, question, answer, sensitive=False, source=None)``
    (a sensitive answer without explicit consent raises `ConsentRequired`: keep it per bureau).
Timeline (`circo.crm.timeline`)
    ``add_interaction(session, ctx, *, contact_id, kind, summary="", data=None, at=None)`` with
    kind in visit, message, event, import, edit, note, merge, consent, opposition, rights.
Segments (`circo.crm.segments`)
    ``resolve_segment(session, ctx, name) -> SegmentFilter`` ("all" = every contact),
    ``segment_contact_ids(session, ctx, filters) -> list[int]`` (consent per channel applied),
    ``segment_contacts(...)``, ``segment_query(...)``, ``create_segment(session, ctx, *, name,
    filters)``; `SegmentFilter` fields: tags, tags_all, commune_codes, postal_codes,
    polling_stations, consent_channel, answers {question: [answers]}, attended_event_ids,
    relationship_kinds, text.
Duplicates (`circo.crm.dedup`)
    ``refresh_duplicates``, ``merge_contacts(session, ctx, *, keep_id, merge_id)``; each
    domain moves its own rows (``PersonalData.merge`` in the manifest, `circo.core.personal`).
Volunteers (`circo.crm.volunteers`)
    ``volunteer_for_user(session, ctx, user_id)``, ``nearby_volunteers(session, ctx, *, lat, lon)``,
    ``list_volunteers``, ``list_teams``, ``invite_volunteer``.
Events (`circo.crm.events`), import (`circo.crm.importer`), export (`circo.crm.export`),
electoral rolls (`circo.crm.rolls`), offline geocoding (`circo.crm.geocode`).
"""
