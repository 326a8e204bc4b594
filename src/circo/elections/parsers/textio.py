"""Shared text-file plumbing: gzip, encoding and separator sniffing, header folding, numbers."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import unicodedata
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from os import PathLike
from typing import IO, cast

from circo.elections.parsers.errors import ParseError

PathArg = str | PathLike[str]

SAMPLE_BYTES = 1 << 20
SEPARATORS = (";", "\t", ",", "|")
SECRET_VALUES = frozenset({"", "s", "nd", "n.d.", "nd.", "na", "nan", "ns", "nc", "so", "-", "x"})

_GZIP_MAGIC = b"\x1f\x8b"
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_NUMBER_SUFFIX = re.compile(r"(?: |^)(\d{1,3})$")
# cp1252 leaves these five bytes undefined: their presence means latin-1.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")


def open_binary(path: PathArg) -> IO[bytes]:
    """Open ``path`` for reading bytes, transparently gunzipping ``.gz`` content."""
    with open(path, "rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def read_sample(path: PathArg, size: int = SAMPLE_BYTES) -> bytes:
    with open_binary(path) as stream:
        return stream.read(size)


def sniff_encoding(sample: bytes) -> str:
    """``utf-8-sig`` (BOM), ``utf-8``, ``cp1252`` or ``latin-1``, judged on the first bytes."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the end of the sample is still UTF-8.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"
    if not _CP1252_HOLES.isdisjoint(sample):
        return "latin-1"
    return "cp1252"


def first_line(sample: bytes, encoding: str) -> str:
    text = sample[:65536].decode(encoding, errors="replace")
    return text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""


def sniff_separator(header_line: str) -> str | None:
    """The separator that splits the header line the most; None if none does."""
    counts = {sep: header_line.count(sep) for sep in SEPARATORS}
    best = max(SEPARATORS, key=lambda sep: counts[sep])
    return best if counts[best] > 0 else None


def open_text(path: PathArg, encoding: str) -> IO[str]:
    errors = "replace" if encoding in ("cp1252", "latin-1") else "strict"
    return io.TextIOWrapper(open_binary(path), encoding=encoding, errors=errors, newline="")


def fold(name: str) -> str:
    """Accent-, case- and punctuation-insensitive form of a column name.

    ``"Code du b.vote"`` → ``"code du b vote"``, ``"% Voix/Exp"`` → ``"pct voix exp"``,
    ``"N°Panneau"`` → ``"n panneau"``.
    """
    decomposed = unicodedata.normalize("NFKD", name.replace("\ufeff", ""))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    bare = bare.lower().replace("%", " pct ").replace("œ", "oe")
    return _NON_ALNUM.sub(" ", bare).strip()


def strip_number_suffix(folded: str) -> tuple[str, int | None]:
    """``"voix 3"`` → ``("voix", 3)``; names without a trailing number are returned as is."""
    match = _NUMBER_SUFFIX.search(folded)
    if match is None or match.start() == 0:
        return folded, None
    return folded[: match.start()].rstrip(), int(match.group(1))


@dataclass(slots=True)
class CsvSource:
    """A sniffed delimited text file, read row by row with physical line numbers."""

    path: PathArg
    encoding: str
    separator: str
    unterminated_last_line: bool = False  # set when a full pass ends without a final newline

    def rows(self) -> Generator[tuple[int, list[str]], None, None]:
        """Yield ``(line_number, fields)``; line 1 is the header. A decoding error becomes a
        `ParseError` on its exact line (located by a second, byte-level pass)."""
        last = [""]

        def lines(text: IO[str]) -> Iterator[str]:
            for line in text:
                last[0] = line
                yield line

        with open_text(self.path, self.encoding) as text:
            reader = csv.reader(lines(text), delimiter=self.separator)
            try:
                for fields in reader:
                    yield reader.line_num, fields
                self.unterminated_last_line = bool(last[0]) and not last[0].endswith("\n")
            except UnicodeDecodeError as exc:
                raise ParseError(
                    self.path,
                    self._decode_error_line(),
                    None,
                    f"octets invalides pour l'encodage {self.encoding} ({exc.reason}) ; "
                    "indiquez l'encodage (ex. encoding='latin-1')",
                ) from exc
            except csv.Error as exc:
                raise ParseError(
                    self.path, reader.line_num, None, f"CSV mal formé ({exc})"
                ) from exc
            except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
                raise ParseError(
                    self.path,
                    reader.line_num + 1,
                    None,
                    f"archive gzip tronquée ou corrompue après la ligne {reader.line_num} "
                    f"({exc}) ; retéléchargez le fichier",
                ) from exc
            except OSError as exc:
                raise ParseError(
                    self.path,
                    reader.line_num + 1,
                    None,
                    f"lecture impossible après la ligne {reader.line_num} ({exc.strerror or exc})",
                ) from exc

    def _decode_error_line(self) -> int | None:
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        with open_binary(self.path) as binary:
            for number, raw in enumerate(binary, start=1):
                try:
                    raw.decode(encoding)
                except UnicodeDecodeError:
                    return number
        return None


def sniff_csv(
    path: PathArg, *, encoding: str | None = None, separator: str | None = None
) -> CsvSource:
    """Detect encoding and separator of a delimited file (explicit values win)."""
    try:
        sample = read_sample(path)
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ParseError(path, None, None, f"archive gzip invalide ou tronquée ({exc})") from exc
    except OSError as exc:
        raise ParseError(path, None, None, f"lecture impossible ({exc.strerror or exc})") from exc
    if not sample.strip():
        raise ParseError(path, 1, None, "fichier vide (attendu une ligne d'en-tête)")
    encoding = encoding or sniff_encoding(sample)
    if separator is None:
        separator = sniff_separator(first_line(sample, encoding))
    if separator is None:
        raise ParseError(
            path,
            1,
            None,
            "séparateur de colonnes non reconnu dans l'en-tête (attendu « ; », « , » "
            "ou tabulation)",
        )
    return CsvSource(path, encoding, separator)


def parse_float(text: str) -> float | None:
    """INSEE-style number: decimal comma or point, spaces as thousands separators, secret
    markers (``s``, ``nd``, empty…) → None. Raises ValueError on anything else."""
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return None if value != value else value  # NaN is a missing value
    cleaned = text.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
    if cleaned.lower() in SECRET_VALUES:
        return None
    return float(cleaned.replace(",", "."))
