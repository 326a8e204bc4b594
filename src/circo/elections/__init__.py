"""Elections domain: territories, elections, results and demographics, with importers of the
official French formats (Ministère de l'Intérieur, INSEE, IGN, REU).

The file parsers live in :mod:`circo.elections.parsers` (pure, streaming, no database).
"""
