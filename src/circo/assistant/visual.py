"""Visuals rendered on the server (Pillow): branded templates in the formats of each network and
A5/A4 leaflets, combining a headline, a sourced figure, a chart made from circo's data and the
source line.

* Templates: ``post-square`` 1080×1080, ``post-portrait`` 1080×1350, ``story`` 1080×1920 (PNG),
  ``leaflet-a5`` and ``leaflet-a4`` (PDF at 150 dpi).
* Figures: ``turnout`` (participation of the territory, the latest election, and a column chart
  of every election known: a result over time), ``bureaux`` (the same participation, and a
  column chart of the bureaux of the territory: the lowest and the highest turnouts) and
  ``first`` (the share of the candidate first in the latest one).
* The campaign's logo (`circo.assistant.brand`) in the top corner when one was uploaded; an
  image generated through the configured images endpoint (``prompt``) in place of the chart,
  which makes the visual AI-generated.
* Campaign colours from the campaign's settings (``brand_color``, ``accent_color``), DejaVu fonts
  from the system (Debian ``fonts-dejavu-core``): nothing is downloaded at run time.
* Anything made with a generative model (``ai_generated``: a headline written by a model, a
  studio draft the model wrote) carries a visible band "contenu généré par IA" and a
  machine-readable mark (PNG iTXt ``ai_generated``/``DigitalSourceType``, PDF keywords and
  subject) — AI Act art. 50. Every file carries the mark, true or false.
* The studio refuses to depict a real person: a headline or image prompt naming a candidate of
  the imported elections or a public figure of the campaign's list
  (``settings["public_figures"]``) is refused, saying why.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import select
from sqlalchemy.orm import Session

from circo import labels
from circo.assistant.analysis import fold
from circo.assistant.errors import AssistantError
from circo.config import Settings
from circo.core.tenancy import CampaignContext
from circo.formatting import format_number

TEMPLATES: dict[str, tuple[int, int, str]] = {
    "post-square": (1080, 1080, "png"),
    "post-portrait": (1080, 1350, "png"),
    "story": (1080, 1920, "png"),
    "leaflet-a5": (874, 1240, "pdf"),  # 148 × 210 mm at 150 dpi
    "leaflet-a4": (1240, 1754, "pdf"),  # 210 × 297 mm at 150 dpi
}
FIGURES = ("turnout", "bureaux", "first")
CHART_BARS = 8
AI_MARK = "contenu généré par IA"
AI_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
DEFAULT_BRAND = "#1d3557"
DEFAULT_ACCENT = "#e63946"
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"))
MARK_BAND = 0.07  # height of the AI band, share of the image height (at the bottom)


def mark_top(height: int) -> int:
    """First row of the AI band (the bottom ``MARK_BAND`` of the image)."""
    return height - round(height * MARK_BAND)


@dataclass
class Visual:
    data: bytes
    media_type: str
    extension: str
    ai_generated: bool
    source_line: str


def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in FONT_DIRS:
        if (folder / name).is_file():
            return ImageFont.truetype(str(folder / name), size)
    raise AssistantError(
        f"police {name} introuvable (installez le paquet Debian fonts-dejavu-core)", loc="font"
    )


def _colour(value: object, default: str) -> str:
    text = str(value or "")
    return text if len(text) == 7 and text.startswith("#") else default


def real_people(session: Session, ctx: CampaignContext) -> tuple[set[str], set[str]]:
    """(full names, last names), folded: the candidates of every imported election and the
    campaign's list of public figures (``settings["public_figures"]``)."""
    from circo.elections.models import Candidate

    full: set[str] = set()
    last: set[str] = set()
    for name, last_name in session.execute(select(Candidate.name, Candidate.last_name).distinct()):
        if name and len(name.strip()) >= 3:
            full.add(fold(name).strip())
        if last_name and len(last_name.strip()) >= 4:
            last.add(fold(last_name).strip())
    for name in (ctx.campaign.settings or {}).get("public_figures", []):
        text = fold(str(name)).strip()
        if len(text) >= 3:
            full.add(text)
            if " " in text and len(text.split()[-1]) >= 4:
                last.add(text.split()[-1])
    return full, last


def refuse_real_person(session: Session, ctx: CampaignContext, text: str, *, loc: str) -> None:
    folded = " " + " ".join(fold(text).replace("'", " ").replace("’", " ").split()) + " "
    full, last = real_people(session, ctx)
    for name in sorted(full | last):
        if f" {name} " in folded:
            raise AssistantError(
                f"« {text} » nomme une personne réelle ({name.upper()}) : le studio ne la "
                "représente pas (pas de visuel ni d'image générée d'une personne réelle, "
                "pour éviter les hypertrucages — AI Act art. 50)",
                loc=loc,
            )


@dataclass
class Figure:
    headline_value: str  # "78 %"
    caption: str  # "participation — Présidentielle 2017, 2nd tour"
    bars: list[tuple[str, float]]  # the chart (label, share 0–1)
    source_line: str


def figure_of(session: Session, *, figure: str, territory: str) -> Figure:
    from circo.elections import service as elections
    from circo.elections.errors import TerritoryNotFound
    from circo.elections.territories import parse_territory

    if figure not in FIGURES:
        raise AssistantError(
            f"chiffre inconnu « {figure} » (attendu l'un de : {', '.join(FIGURES)})", loc="figure"
        )
    ref = parse_territory(territory)
    place = elections.territory_label(session, ref)
    rows = []
    for row in elections.list_elections(session):
        try:
            found = elections.territory_results(
                session, territory=ref, key=row["election"], round_number=row["round"]
            )
        except TerritoryNotFound:
            continue
        rows.append((row, found))
    if not rows:
        raise AssistantError(
            f"aucun résultat connu pour {place} (importez des résultats : circo import results)",
            loc="territory",
        )
    rows.sort(key=lambda pair: (pair[0]["date"] or "", pair[0]["election"], pair[0]["round"]))
    latest_row, latest = rows[-1]
    title = labels.election_title(latest_row["name"] or latest_row["election"], latest_row["round"])
    source = (
        f"Source : ministère de l'Intérieur, résultats par bureau de vote ({title}), {place} "
        "— calculs circo"
    )
    bars = [
        (f"{row['year'] or row['election']} T{row['round']}", result.turnout or 0.0)
        for row, result in rows
    ]
    if figure == "bureaux":
        ranked = elections.rank_stations(
            session,
            territory=ref,
            key=latest_row["election"],
            round_number=latest_row["round"],
            indicator="turnout",
            descending=False,
        )
        half = CHART_BARS // 2
        shown = ranked if len(ranked) <= CHART_BARS else ranked[:half] + ranked[-half:]
        caption = f"de participation — {title} ; par bureau, les plus basses et les plus hautes"
        return Figure(
            _pct(latest.turnout or 0.0),
            caption,
            [(_bureau(station.station_key), station.value) for station in shown],
            source,
        )
    if figure == "turnout":
        value = latest.turnout or 0.0
        return Figure(_pct(value), f"de participation — {title}", bars, source)
    if not latest.candidates:
        raise AssistantError(f"pas de candidat dans {title} pour {place}", loc="figure")
    first = latest.candidates[0]
    shares = [(c.name, c.share_valid) for c in latest.candidates[:6]]
    return Figure(
        _pct(first.share_valid), f"des exprimés pour {first.name} — {title}", shares, source
    )


def _bureau(station_key: str) -> str:
    """A bureau's short name on the chart: "01004_0003" → "bv 3" (commune code dropped)."""
    number = station_key.rsplit("_", 1)[-1].lstrip("0") or "0"
    return f"bv {number}"


def _pct(value: float) -> str:
    return f"{format_number(round(value * 100))} %"


def _wrap(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int
) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if draw.textlength(trial, font=font) <= width or not current:
            current = trial
        else:
            lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def render(
    session: Session,
    ctx: CampaignContext,
    *,
    template: str,
    headline: str,
    figure: str,
    territory: str,
    ai_generated: bool = False,
    logo: Image.Image | None = None,
    picture: Image.Image | None = None,
) -> Visual:
    """The visual; ``picture`` (a generated image) takes the chart's place and marks it as AI."""
    if picture is not None:
        ai_generated = True
    if template not in TEMPLATES:
        raise AssistantError(
            f"modèle inconnu « {template} » (attendu l'un de : {', '.join(TEMPLATES)})",
            loc="template",
        )
    text = " ".join(headline.split())
    if not text or len(text) > 140:
        raise AssistantError(f"titre de {len(text)} caractères (1 à 140 attendus)", loc="headline")
    refuse_real_person(session, ctx, text, loc="headline")
    data = figure_of(session, figure=figure, territory=territory)
    width, height, kind = TEMPLATES[template]
    settings = ctx.campaign.settings or {}
    brand = _colour(settings.get("brand_color"), DEFAULT_BRAND)
    accent = _colour(settings.get("accent_color"), DEFAULT_ACCENT)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    unit = width / 1080
    margin = round(60 * unit)
    band = height - mark_top(height)
    draw.rectangle([0, 0, width, round(height * 0.34)], fill=brand)
    y = margin
    if logo is not None:
        _paste_logo(image, logo, right=width - margin, top=margin, height=round(110 * unit))
    name_font = _font(round(30 * unit))
    draw.text((margin, y), ctx.campaign.name, font=name_font, fill="white")
    y += round(60 * unit)
    head_font = _font(round(64 * unit), bold=True)
    for line in _wrap(draw, text, head_font, width - 2 * margin)[:4]:
        draw.text((margin, y), line, font=head_font, fill="white")
        y += round(76 * unit)
    y = max(y, round(height * 0.34)) + round(30 * unit)
    value_font = _font(round(150 * unit), bold=True)
    draw.text((margin, y), data.headline_value, font=value_font, fill=accent)
    y += round(170 * unit)
    caption_font = _font(round(32 * unit))
    for line in _wrap(draw, data.caption, caption_font, width - 2 * margin)[:2]:
        draw.text((margin, y), line, font=caption_font, fill=brand)
        y += round(42 * unit)
    chart_top = y + round(30 * unit)
    chart_bottom = height - band - round(150 * unit)
    if picture is not None:
        _paste_cover(image, picture, (margin, chart_top, width - margin, chart_bottom))
    else:
        _chart(draw, data.bars, (margin, chart_top, width - margin, chart_bottom), brand, unit)
    source_font = _font(round(22 * unit))
    sy = height - band - round(110 * unit)
    for line in _wrap(draw, data.source_line, source_font, width - 2 * margin)[:3]:
        draw.text((margin, sy), line, font=source_font, fill="#333333")
        sy += round(30 * unit)
    if ai_generated:
        draw.rectangle([0, height - band, width, height], fill="black")
        mark_font = _font(round(34 * unit), bold=True)
        draw.text(
            (margin, height - band + (band - round(34 * unit)) // 2),
            f"⚠ {AI_MARK}",
            font=mark_font,
            fill="white",
        )
    out = io.BytesIO()
    description = f"{text} — {data.headline_value} {data.caption}. {data.source_line}"
    if kind == "png":
        info = PngInfo()
        info.add_itxt("Title", text, lang="fr")
        info.add_itxt("Description", description, lang="fr")
        info.add_itxt("Source", data.source_line, lang="fr")
        info.add_text("ai_generated", "true" if ai_generated else "false")
        if ai_generated:
            info.add_itxt("DigitalSourceType", AI_SOURCE_TYPE)
            info.add_itxt("AI-Disclosure", AI_MARK, lang="fr")
        image.save(out, format="PNG", pnginfo=info)
        return Visual(out.getvalue(), "image/png", "png", ai_generated, data.source_line)
    keywords = f"ai_generated={'true' if ai_generated else 'false'}"
    if ai_generated:
        keywords += f"; {AI_MARK}; DigitalSourceType={AI_SOURCE_TYPE}"
    image.save(
        out,
        format="PDF",
        resolution=150,
        title=text,
        subject=(f"{AI_MARK} — " if ai_generated else "") + data.source_line,
        keywords=keywords,
        creator="circo",
    )
    return Visual(out.getvalue(), "application/pdf", "pdf", ai_generated, data.source_line)


def _chart(
    draw: ImageDraw.ImageDraw,
    bars: list[tuple[str, float]],
    box: tuple[int, int, int, int],
    colour: str,
    unit: float,
) -> None:
    """Columns of shares (0–1) with their value above and label below."""
    left, top, right, bottom = box
    if bottom - top < 80 or not bars:
        return
    shown = bars[-CHART_BARS:]
    label_font = _font(round(22 * unit))
    slot = (right - left) / len(shown)
    base = bottom - round(34 * unit)
    usable = base - top - round(34 * unit)
    for index, (name, share) in enumerate(shown):
        x0 = left + index * slot + slot * 0.18
        x1 = left + (index + 1) * slot - slot * 0.18
        y0 = base - max(0.0, min(1.0, share)) * usable
        draw.rectangle([x0, y0, x1, base], fill=colour)
        draw.text((x0, y0 - round(30 * unit)), _pct(share), font=label_font, fill=colour)
        draw.text((x0, base + round(6 * unit)), name[:9], font=label_font, fill="#333333")


def _paste_logo(
    image: Image.Image, logo: Image.Image, *, right: int, top: int, height: int
) -> None:
    """The logo scaled to ``height`` (at most a quarter of the width), its right edge at
    ``right``, transparency kept."""
    scale = min(height / logo.height, (image.width / 4) / logo.width)
    size = (max(1, round(logo.width * scale)), max(1, round(logo.height * scale)))
    small = logo.convert("RGBA").resize(size, Image.Resampling.LANCZOS)
    image.paste(small, (right - size[0], top), small)


def _paste_cover(image: Image.Image, picture: Image.Image, box: tuple[int, int, int, int]) -> None:
    """``picture`` cropped to the box's proportions (centred) and scaled into it."""
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    if width < 20 or height < 20:
        return
    ratio = width / height
    if picture.width / picture.height > ratio:
        crop_width = round(picture.height * ratio)
        offset = (picture.width - crop_width) // 2
        region = (offset, 0, offset + crop_width, picture.height)
    else:
        crop_height = round(picture.width / ratio)
        offset = (picture.height - crop_height) // 2
        region = (0, offset, picture.width, offset + crop_height)
    fitted = picture.crop(region).resize((width, height), Image.Resampling.LANCZOS)
    image.paste(fitted.convert("RGB"), (left, top))


def render_for(
    session: Session,
    ctx: CampaignContext,
    settings: Settings,
    *,
    template: str,
    headline: str,
    figure: str,
    territory: str,
    ai_generated: bool = False,
    prompt: str = "",
) -> Visual:
    """`render` with the campaign's logo and, with a ``prompt``, an image generated by the
    configured images endpoint (refused when the prompt names a real person)."""
    from circo.assistant.brand import generate_image, load_logo

    if template not in TEMPLATES:
        raise AssistantError(
            f"modèle inconnu « {template} » (attendu l'un de : {', '.join(TEMPLATES)})",
            loc="template",
        )
    picture = None
    wanted = " ".join(prompt.split())
    if wanted:
        if len(wanted) > 400:
            raise AssistantError(
                f"description d'image de {len(wanted)} caractères (400 au plus)", loc="prompt"
            )
        refuse_real_person(session, ctx, headline, loc="headline")
        refuse_real_person(session, ctx, wanted, loc="prompt")
        figure_of(session, figure=figure, territory=territory)  # bad input before the call
        picture = generate_image(settings, wanted)
    return render(
        session,
        ctx,
        template=template,
        headline=headline,
        figure=figure,
        territory=territory,
        ai_generated=ai_generated,
        logo=load_logo(settings, ctx),
        picture=picture,
    )
