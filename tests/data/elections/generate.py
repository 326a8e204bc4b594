"""Writes the synthetic results files of this folder (real Ministry layouts, made-up numbers).

Run ``python tests/data/elections/generate.py`` to rewrite them; the files are committed, the
tests read them as they are. See ``README.md`` here for what each file is.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).parent

# Ministry européennes layout (2014: « Blancs et nuls » in one column, no circonscription).
EUR14_HEADER = (
    "Code du département;Libellé du département;Code de la commune;Libellé de la commune;"
    "Code du b.vote;Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs et nuls;"
    "% BlNuls/Ins;% BlNuls/Vot;Exprimés;% Exp/Ins;% Exp/Vot;N°Liste;Libellé Abrégé Liste;"
    "Libellé Etendu Liste;Nom Tête de Liste;Voix;% Voix/Ins;% Voix/Exp"
)
EUR14_LISTS = (
    ("1", "FN", "LISTE BLEU MARINE - NON A BRUXELLES, OUI A LA FRANCE", "Jean-Marie LE PEN"),
    ("2", "UMP", "POUR LA FRANCE, AGIR EN EUROPE AVEC ALAIN LAMASSOURE", "Alain LAMASSOURE"),
    ("3", "PS", "CHOISIR NOTRE EUROPE", "Pervenche BERÈS"),
    ("4", "NOUS CITOYENS", "NOUS CITOYENS", "Denis PAYRE"),
)
# (Ministry département code, its label, Ministry commune code, commune name): the official
# code it must become is in README.md.
EUR14_PLACES = (
    ("69", "RHONE", "123", "Lyon"),
    ("ZA", "GUADELOUPE", "101", "Les Abymes"),
    ("971", "GUADELOUPE", "02", "Anse-Bertrand"),
    ("ZB", "MARTINIQUE", "209", "Fort-de-France"),
    ("ZC", "GUYANE", "302", "Cayenne"),
    ("ZD", "LA REUNION", "411", "Saint-Denis"),
    ("ZM", "MAYOTTE", "611", "Mamoudzou"),
    ("975", "SAINT-PIERRE-ET-MIQUELON", "501", "Miquelon-Langlade"),
    ("ZS", "SAINT-PIERRE-ET-MIQUELON", "502", "Saint-Pierre"),
    ("977", "SAINT-BARTHELEMY", "701", "Saint-Barthélemy"),
    ("977", "SAINT-MARTIN", "801", "Saint-Martin"),
    ("ZX", "SAINT-MARTIN/SAINT-BARTHELEMY", "801", "Saint-Martin"),
    ("986", "WALLIS-ET-FUTUNA", "613", "Uvea"),
    ("ZW", "WALLIS-ET-FUTUNA", "611", "Alo"),
    ("987", "POLYNESIE FRANCAISE", "735", "Papeete"),
    ("ZP", "POLYNESIE FRANCAISE", "711", "Anaa"),
    ("988", "NOUVELLE-CALEDONIE", "818", "Nouméa"),
    ("ZN", "NOUVELLE-CALEDONIE", "801", "Bélep"),
    ("ZZ", "FRANCAIS ETABLIS HORS DE FRANCE", "1", "Amérique du Nord"),
)

# Ministry législatives 2017 layout (blocks « N°Panneau;Sexe;Nom;Prénom;Nuance;Voix… »).
LEG17_HEADER = (
    "Code du département;Libellé du département;Code de la circonscription;"
    "Libellé de la circonscription;Code de la commune;Libellé de la commune;Code du b.vote;"
    "Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs;% Blancs/Ins;% Blancs/Vot;Nuls;"
    "% Nuls/Ins;% Nuls/Vot;Exprimés;% Exp/Ins;% Exp/Vot;N°Panneau;Sexe;Nom;Prénom;Nuance;Voix;"
    "% Voix/Ins;% Voix/Exp"
)
LEG17_CANDIDATES = {
    "01": (("1", "F", "BRUGNERA", "Anne", "REM"), ("2", "M", "HAVARD", "Michel", "LR"),
           ("3", "F", "PERRIN", "Agnès", "FN")),
    "02": (("1", "M", "BLEIN", "Yves", "REM"), ("2", "F", "GRANJON", "Laure", "FI"),
           ("3", "M", "ROCHE", "Pierre", "DIV")),
}  # fmt: skip

# Ministry présidentielle 2017 layout (blocks « N°Panneau;Sexe;Nom;Prénom;Voix… »).
PR17_HEADER = (
    "Code du département;Libellé du département;Code de la circonscription;"
    "Libellé de la circonscription;Code de la commune;Libellé de la commune;Code du b.vote;"
    "Inscrits;Abstentions;% Abs/Ins;Votants;% Vot/Ins;Blancs;% Blancs/Ins;% Blancs/Vot;Nuls;"
    "% Nuls/Ins;% Nuls/Vot;Exprimés;% Exp/Ins;% Exp/Vot;N°Panneau;Sexe;Nom;Prénom;Voix;"
    "% Voix/Ins;% Voix/Exp"
)
PR17_T2 = (("1", "M", "MACRON", "Emmanuel"), ("2", "F", "LE PEN", "Marine"))


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f}".replace(".", ",") if whole else "0,00"


def station_totals(seed: int) -> tuple[int, int, int, int, int]:
    """(registered, voters, blank, null, valid) of a made-up bureau."""
    registered = 700 + 37 * seed % 500
    voters = registered * 6 // 10 + seed % 17
    blank = 5 + seed % 9
    null = 2 + seed % 5
    return registered, voters, blank, null, voters - blank - null


def split_votes(valid: int, parts: int, seed: int) -> list[int]:
    weights = [(seed * (i + 3)) % 11 + 1 for i in range(parts)]
    votes = [valid * w // sum(weights) for w in weights]
    votes[0] += valid - sum(votes)
    return votes


def lyon_bureaux() -> list[str]:
    return [f"{n:04d}" for n in (101, 102, 103, 104, 201, 202, 203, 204)]


def eur14() -> str:
    lines = [EUR14_HEADER]
    seed = 0
    for dep, dep_name, commune, name in EUR14_PLACES:
        bureaux = lyon_bureaux() if dep == "69" else ["0002" if dep == "ZX" else "0001"]
        for bureau in bureaux:
            seed += 1
            registered, voters, blank, null, valid = station_totals(seed)
            combined = blank + null
            votes = split_votes(valid, len(EUR14_LISTS), seed)
            if dep == "69" and bureau == "0104":
                votes[3], votes[0] = 0, votes[0] + votes[3]  # a list with no vote here
            row = [dep, dep_name, commune, name, bureau, str(registered),
                   str(registered - voters), pct(registered - voters, registered), str(voters),
                   pct(voters, registered), str(combined), pct(combined, registered),
                   pct(combined, voters), str(valid), pct(valid, registered),
                   pct(valid, voters)]  # fmt: skip
            for (number, short, full, head), count in zip(EUR14_LISTS, votes, strict=True):
                row += [number, short, full, head, str(count), pct(count, registered),
                        pct(count, valid)]  # fmt: skip
            lines.append(";".join(row))
    return "\r\n".join(lines) + "\r\n"


def leg17() -> str:
    lines = [LEG17_HEADER]
    seed = 100
    for index, bureau in enumerate(lyon_bureaux()):
        circ = "01" if index < 4 else "02"
        seed += 1
        registered, voters, blank, null, valid = station_totals(seed)
        row = ["69", "Rhône", circ, f"{int(circ)}ère circonscription", "123", "Lyon", bureau,
               str(registered), str(registered - voters), pct(registered - voters, registered),
               str(voters), pct(voters, registered), str(blank), pct(blank, registered),
               pct(blank, voters), str(null), pct(null, registered), pct(null, voters),
               str(valid), pct(valid, registered), pct(valid, voters)]  # fmt: skip
        candidates = LEG17_CANDIDATES[circ]
        for (number, sex, last, first, nuance), count in zip(
            candidates, split_votes(valid, len(candidates), seed), strict=True
        ):
            row += [number, sex, last, first, nuance, str(count), pct(count, registered),
                    pct(count, valid)]  # fmt: skip
        lines.append(";".join(row))
    return "\r\n".join(lines) + "\r\n"


def pr17_t2() -> str:
    lines = [PR17_HEADER]
    seed = 200
    for bureau in lyon_bureaux():
        seed += 1
        registered, voters, blank, null, valid = station_totals(seed)
        row = ["69", "Rhône", "01", "1ère circonscription", "123", "Lyon", bureau,
               str(registered), str(registered - voters), pct(registered - voters, registered),
               str(voters), pct(voters, registered), str(blank), pct(blank, registered),
               pct(blank, voters), str(null), pct(null, registered), pct(null, voters),
               str(valid), pct(valid, registered), pct(valid, voters)]  # fmt: skip
        for (number, sex, last, first), count in zip(
            PR17_T2, split_votes(valid, 2, seed), strict=True
        ):
            row += [number, sex, last, first, str(count), pct(count, registered),
                    pct(count, valid)]  # fmt: skip
        lines.append(";".join(row))
    return "\r\n".join(lines) + "\r\n"


def main() -> None:
    (HERE / "ER14_BVot_outremer_cp1252.txt").write_bytes(eur14().encode("cp1252"))
    (HERE / "LG17_BVot_T1_lyon_cp1252.txt").write_bytes(leg17().encode("cp1252"))
    (HERE / "PR17_BVot_T2_lyon_cp1252.txt").write_bytes(pr17_t2().encode("cp1252"))


if __name__ == "__main__":
    main()
