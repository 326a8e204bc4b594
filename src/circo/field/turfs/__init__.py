"""Cut addresses into compact, balanced canvassing turfs, each with a walking route.

Pure library (numpy/scipy and the standard library): no database, no web.

How a bureau is cut
-------------------
1. Addresses at the same point are one *site* (a building): a site is never split, and its
   doors are the sum of its addresses' dwellings.
2. A site with more doors than ``1.25 × doors_per_turf`` is a turf of its own (a large
   residence cannot be shared between volunteers without splitting the building, which the
   data cannot do: this is the one documented exception to the size cap).
3. The other sites are cut into ``k`` turfs, ``k`` chosen so the mean turf is as close to the
   target as the caps allow, by recursive bisection: each region is split across its longest
   (principal) axis at the weighted quantile that gives each side its share of turfs. Within
   ±10 % of that quantile the cut goes through the widest empty gap along the axis, so cuts
   follow streets and open spaces rather than run through a block.
4. A repair pass, borrowed from the ``turf-tools`` autocut "trade" step, moves single boundary
   sites between neighbouring turfs (neighbours in the k-nearest-site graph) until every turf
   is within ``[0.5, 1.25] × target``: one turf under the floor per bureau (the remainder)
   is allowed. A turf still over the cap (a few big buildings that no neighbour can take) is
   halved, or merged with a nearby turf and the pair cut again, in the most compact way.
5. Each turf is ordered into an open walking route over its sites (nearest neighbour + 2-opt +
   Or-opt, see :mod:`circo.field.routing`); addresses of a site stay together, and where
   addresses have a ``street`` a small penalty per change of street keeps streets together.

Compactness is measured, not assumed: :func:`compactness_ratio` (sum of the turfs' minimum
spanning trees over the bureaux' ones; interleaved strips score about 2) and
:func:`route_to_mst_ratio` (route length over the turf's spanning tree).

Modules: `circo.field.turfs.plan` (`Address`, `Turf`, `TurfPlan`, `cut_turfs`: steps 1 and 5),
`circo.field.turfs.partition` (`cut_sites`: steps 2 to 4), `circo.field.turfs.output`
(`plan_to_json`, the compactness metrics, `turf_svg`) and `circo.field.turfs.inputs`
(`read_addresses_csv`, `synthetic_addresses`).
"""
