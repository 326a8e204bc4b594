"""Maps and territory sheets: choropleths (SVG/PNG) of any indicator per bureau or commune, and
the "fiche circonscription" (HTML → PDF with weasyprint). Reads the elections domain through its
services only; works offline (a tile background only when ``CIRCO_TILE_URL`` is set).
"""
