"""Colour-blind-safe sequential and diverging palettes (hard-coded, no matplotlib needed).

Sequential: viridis and cividis (perceptually uniform, readable with colour-vision deficiencies
and in greyscale). Diverging: blue–orange (safe for the common deficiencies).
"""

from __future__ import annotations

from circo.elections.errors import ElectionsError

VIRIDIS = [
    "#440154", "#482475", "#414487", "#355f8d", "#2a788e", "#21918c",
    "#22a884", "#44bf70", "#7ad151", "#bddf26", "#fde725",
]  # fmt: skip
CIVIDIS = [
    "#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8779",
    "#a59c74", "#c3b369", "#e1cc55", "#fee838", "#ffea46",
]  # fmt: skip
BLUE_ORANGE = [
    "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7",
    "#fddbc7", "#f4a582", "#d6604d", "#b2182b",
]  # fmt: skip
PALETTES = {"viridis": VIRIDIS, "cividis": CIVIDIS, "bleu-orange": BLUE_ORANGE}
NO_DATA = "#d9d9d9"


def colours(name: str, count: int, *, reverse: bool = False) -> list[str]:
    """``count`` colours evenly spread over the palette ``name`` (light → dark if reversed)."""
    if name not in PALETTES:
        raise ElectionsError(
            f"palette « {name} » inconnue ; attendu " + ", ".join(PALETTES), loc="palette"
        )
    ramp = PALETTES[name]
    if count <= 1:
        picked = [ramp[len(ramp) // 2]]
    else:
        picked = [ramp[round(i * (len(ramp) - 1) / (count - 1))] for i in range(count)]
    return picked[::-1] if reverse else picked
