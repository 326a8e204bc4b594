"""Rights of the person: access (JSON + PDF), rectification, erasure, opposition; requests
tracked with their legal deadline (one month, GDPR art. 12.3).

Modules: `circo.privacy.rights.requests` (requests and their deadline),
`circo.privacy.rights.identity` (who a request is about), `circo.privacy.rights.access` (the
access export, JSON and PDF), `circo.privacy.rights.traces` (the person's traces in any table and
in the files under the data dir) and `circo.privacy.rights.erasure` (erasure and opposition).
The names documented in `circo.privacy` are re-exported here.
"""

from circo.privacy.rights.access import access_export, access_pdf
from circo.privacy.rights.erasure import ErasureReport, erase_person
from circo.privacy.rights.requests import complete_request, create_request, list_requests

__all__ = [
    "ErasureReport",
    "access_export",
    "access_pdf",
    "complete_request",
    "create_request",
    "erase_person",
    "list_requests",
]
