"""The OSDI 1.1 API of a node's campaign (HAL+JSON under ``/api/osdi/v1/``).

`tokens` (per-campaign tokens with scopes), `resources` (the OSDI representations and their
paginated collections), `signup` (the person signup helper), `routes` (the router, included by
`circo.party.routes`). See docs/party.md, "OSDI API".
"""
