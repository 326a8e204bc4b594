"""Spam protection of the public forms without a third party: a small proof of work.

The page carries a **challenge** signed by the server (`itsdangerous`, the app's secret): the
form's public id, a random nonce, a small arithmetic question and when it was issued. The page's
script (`/static/pow.js`, a few lines over the browser's SHA-256) finds a ``counter`` such that
``sha256("<challenge>:<counter>")`` starts with `BITS` zero bits (≈ 65 000 tries, about a second
on a phone) and puts it in the ``pow`` field; the server checks it with one hash.

**Without JavaScript** (or without the browser's WebCrypto) the page shows the question
instead (« Combien font 3 + 4 ? »; the script hides it when it runs):
its answer, also bound to the signed challenge, stands in for the proof of work.
Why this fallback: it keeps the form usable by everyone (no script, old phones, screen readers:
plain text), costs a person a few seconds, needs no third party and no stored state. It is a weak
barrier on its own — a robot that reads the page can answer it — but the proof of work is not the
main guard either: nothing is kept before the **double opt-in** (a robot cannot confirm from a
mailbox it does not hold), the honeypot catches naive robots, and the per-address rate limit
bounds the confirmation mails any client can cause. The proof of work raises the cost of mass
submissions from one machine; the question keeps the door open to people without script.

A challenge is valid for `MAX_AGE_SECONDS` and, per process, once (`SeenChallenges`).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from circo.core.security import sign, unsign
from circo.reach.errors import ReachError

SALT = "circo.reach.form-pow"
BITS = 16
MAX_AGE_SECONDS = 2 * 3600


@dataclass(frozen=True)
class Challenge:
    token: str  # the signed challenge, put in the page
    question: str  # the no-script question, French


def issue(secret_key: str, public_id: str) -> Challenge:
    left, right = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = sign(
        secret_key,
        SALT,
        {"f": public_id, "n": secrets.token_hex(8), "a": _answer_hash(public_id, left + right)},
    )
    return Challenge(token, f"Combien font {left} + {right} ?")


def _answer_hash(public_id: str, answer: int) -> str:
    return hashlib.sha256(f"{public_id}:{answer}".encode()).hexdigest()[:16]


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte == 0:
            bits += 8
            continue
        return bits + (8 - byte.bit_length())
    return bits


def solve(token: str, bits: int = BITS) -> int:
    """What the page's script does (for tests and the load benchmark)."""
    counter = 0
    while leading_zero_bits(hashlib.sha256(f"{token}:{counter}".encode()).digest()) < bits:
        counter += 1
    return counter


class SeenChallenges:
    """Challenges already used in this process (bounded, oldest forgotten first)."""

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_use(self, token: str) -> bool:
        with self._lock:
            if token in self._seen:
                return False
            self._seen[token] = time.monotonic()
            while len(self._seen) > self.size:
                self._seen.popitem(last=False)
            return True


def check(
    secret_key: str,
    *,
    public_id: str,
    fields: dict[str, Any],
    seen: SeenChallenges,
    bits: int = BITS,
) -> None:
    """Accept the submission's proof of work (or, without script, the answer to the question);
    refuse with a French message naming what is missing."""
    token = str(fields.get("pow_challenge") or "")
    if not token:
        raise ReachError(
            "vérification anti-robot absente : rechargez la page du formulaire et renvoyez-le",
            loc="vérification",
        )
    try:
        payload = unsign(secret_key, SALT, token[:500], max_age_seconds=MAX_AGE_SECONDS)
    except ValueError:
        raise ReachError(
            "vérification anti-robot expirée ou invalide : rechargez la page du formulaire",
            loc="vérification",
        ) from None
    if not isinstance(payload, dict) or payload.get("f") != public_id:
        raise ReachError("vérification anti-robot d'un autre formulaire", loc="vérification")
    if not (_work_done(token, fields, bits) or _answered(public_id, payload, fields)):
        raise ReachError(
            "vérification anti-robot manquante : attendez la fin de la vérification "
            "automatique (JavaScript) ou répondez à la question « Combien font … ? »",
            loc="vérification",
        )
    if not seen.first_use(token):
        raise ReachError(
            "ce formulaire a déjà été envoyé depuis cette page : rechargez-la pour un nouvel envoi",
            loc="vérification",
        )


def _work_done(token: str, fields: dict[str, Any], bits: int) -> bool:
    counter = str(fields.get("pow") or "").strip()
    if not counter.isdigit() or len(counter) > 12:
        return False
    digest = hashlib.sha256(f"{token}:{counter}".encode()).digest()
    return leading_zero_bits(digest) >= bits


def _answered(public_id: str, payload: dict[str, Any], fields: dict[str, Any]) -> bool:
    answer = str(fields.get("pow_answer") or "").strip()
    if not answer.isdigit() or len(answer) > 3:
        return False
    return bool(payload.get("a") == _answer_hash(public_id, int(answer)))
