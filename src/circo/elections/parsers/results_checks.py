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
    if "blank" in derived:  # no blank column at all: blank ballots counted with null ones
        result.blank = result.null_votes = None
        if result.voters is not None:
            result.blank_and_null = result.voters - result.valid_votes
    elif "null_votes" in derived and result.voters is not None:
        result.null_votes = result.voters - (result.blank or 0) - result.valid_votes
    if result.blank is not None and result.null_votes is not None:
        result.blank_and_null = result.blank + result.null_votes
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
    elif voters is not None and result.blank_and_null is not None:
        combined = result.blank_and_null
        if voters != valid + combined:
            log.add(
                line,
                f"bureau {key} : votants ({voters}) ≠ exprimés + blancs et nuls "
                f"({valid} + {combined} = {valid + combined})",
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
    if result.blank_and_null is not None and result.blank_and_null < 0:
        log.add(line, f"bureau {key} : blancs et nuls négatifs ({result.blank_and_null})")
