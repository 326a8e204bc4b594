"""Derived totals and consistency checks of one bureau's results (warnings, never errors)."""

from __future__ import annotations

from circo.elections.parsers.errors import WarningLog
from circo.elections.parsers.results_types import StationResult


def complete_and_check(
    result: StationResult, total_votes: int, derived: list[str], log: WarningLog
) -> None:
    """Fill the totals listed in ``derived`` (absent from the file), then check the others;
    ``total_votes`` is the sum of the candidates' votes of the bureau."""
    if "valid_votes" in derived:
        result.valid_votes = total_votes
    if "voters" in derived and result.registered is not None:
        result.voters = result.registered - (result.abstentions or 0)
    if "abstentions" in derived and result.registered is not None:
        result.abstentions = result.registered - (result.voters or 0)
    if "blank" in derived:
        result.blank = 0
    if "null_votes" in derived and result.voters is not None:
        result.null_votes = result.voters - (result.blank or 0) - result.valid_votes
    check(result, total_votes, derived, log)


def check(result: StationResult, total_votes: int, derived: list[str], log: WarningLog) -> None:
    """voters = valid + blank + null; Σ votes = valid; registered ≥ voters;
    registered − voters = abstentions; null ≥ 0."""
    line, key = result.line, result.station_key
    registered, voters, valid = result.registered, result.voters, result.valid_votes
    blank, null_votes = result.blank, result.null_votes
    if voters is not None and blank is not None and null_votes is not None:
        if voters != valid + blank + null_votes:
            log.add(
                line,
                f"bureau {key} : votants ({voters}) ≠ exprimés + blancs + nuls "
                f"({valid} + {blank} + {null_votes} = {valid + blank + null_votes})",
            )
    if "valid_votes" not in derived and total_votes != valid:
        log.add(
            line,
            f"bureau {key} : somme des voix des candidats ({total_votes}) ≠ exprimés ({valid})",
        )
    if registered is not None and voters is not None:
        if registered < voters:
            log.add(line, f"bureau {key} : inscrits ({registered}) < votants ({voters})")
        abstentions = result.abstentions
        if "abstentions" not in derived and abstentions is not None:
            if registered - voters != abstentions:
                log.add(
                    line,
                    f"bureau {key} : inscrits − votants ({registered} − {voters}) ≠ "
                    f"abstentions ({abstentions})",
                )
    if null_votes is not None and null_votes < 0:
        log.add(line, f"bureau {key} : nombre de nuls négatif ({null_votes})")
