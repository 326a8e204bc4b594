"""The access-request PDF speaks French: dates on the campaign's clock, channels and statuses in
words (not ISO strings or internal keys)."""

from __future__ import annotations

import io

from pypdf import PdfReader

from circo.privacy.rights.access import access_pdf


def test_access_pdf_dates_and_words_in_french() -> None:
    export = {
        "campaign": {"slug": "c", "name": "Campagne", "timezone": "Europe/Paris"},
        "generated_at": "2026-07-14T21:30:00+00:00",
        "query": {"email": "jean@example.org"},
        "contacts": [
            {
                "first_name": "Jean",
                "last_name": "Dupont",
                "consents": [
                    {
                        "recorded_at": "2026-07-14T17:05:00+00:00",
                        "channel": "email",
                        "status": "granted",
                        "source": "formulaire",
                    }
                ],
                "interactions": [],
                "events": [],
            }
        ],
    }
    text = " ".join(
        " ".join(page.extract_text().split())
        for page in PdfReader(io.BytesIO(access_pdf(export))).pages
    )
    assert "14 juillet 2026" in text  # 23:30 in Paris is still the 14th
    assert "19 h 05" in text or "19:05" in text  # 17:05 UTC in Paris summer time
    assert "2026-07-14" not in text
    assert "granted" not in text
