"""Latitude/longitude -> country, offline: the country of the nearest city, when it is clear.

No country borders ship offline with our dependencies, so the answer is the nearest city of
the gazetteer (geonames). It is trusted only when that city is within 50 km and no city of
another country lies within twice its distance plus 10 km; near a border, or at sea, the
answer is "none" with the reason. A rural point (the nearest city 50-150 km away) is read by
that city's country only when every city within three times that distance is in the same
country (inland, far from any border), with a lower confidence.

The reason names the largest city within 30 km of the point rather than the nearest one
("near Berlin", not the district "Mitte" geonames lists as its own town):
"coordinates 52.52, 13.40: near Berlin (DE)".
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

from enrich.location.gazetteer import get_gazetteer

MAX_KM = 50.0
RURAL_KM = 150.0  # beyond MAX_KM, only where no other country is within 3x the distance
NAMING_KM = 30.0  # the city a reason names: the largest within this distance
SURROUNDED = 4  # this many cities of one country nearer than any other country's: inside it
CONFIDENT, RURAL = 0.8, 0.6
EARTH_DIAMETER_KM = 12742.0


@dataclass(frozen=True)
class Nearest:
    status: str  # "resolved" | "none"
    country: str | None
    reason: str
    confidence: float = 0.0
    city: str | None = None  # the city the reason names


_LOCK = threading.Lock()
# The gazetteer's cities by 1-degree cell of latitude and longitude: a point's neighbours are
# a few cells' cities (pure Python: no numpy import, no array of every city, on first use).
_GRID: dict[tuple[int, int], list[int]] | None = None
SEARCH_KM = RURAL_KM + 10  # the first search: wide enough to find any nearest city that counts


def _grid() -> dict[tuple[int, int], list[int]]:
    global _GRID
    with _LOCK:
        if _GRID is None:
            grid: dict[tuple[int, int], list[int]] = {}
            for i, (lat, lon, *_rest) in enumerate(get_gazetteer().coords):
                grid.setdefault((math.floor(lat), math.floor(lon)), []).append(i)
            _GRID = grid
        return _GRID


def _within(lat: float, lon: float, km: float) -> list[tuple[float, int]]:
    """(distance in km, index in gazetteer.coords) of every city within `km` of the point."""
    coords, grid = get_gazetteer().coords, _grid()
    la, cos_la = math.radians(lat), math.cos(math.radians(lat))
    dlat = km / (EARTH_DIAMETER_KM * math.pi / 360)
    dlon = dlat / max(math.cos(math.radians(min(abs(lat) + dlat, 89.9))), 1e-3)
    lon_cells = (
        range(-180, 180)
        if dlon >= 180
        else [
            ((c + 180) % 360) - 180
            for c in range(math.floor(lon - dlon), math.floor(lon + dlon) + 1)
        ]
    )
    found = []
    sin, cos, asin, sqrt, radians = math.sin, math.cos, math.asin, math.sqrt, math.radians
    for cell_lat in range(math.floor(lat - dlat), math.floor(lat + dlat) + 1):
        for cell_lon in lon_cells:
            for i in grid.get((cell_lat, cell_lon), ()):
                c_la, c_lo = radians(coords[i][0]), radians(coords[i][1])
                h = (
                    sin((c_la - la) / 2) ** 2
                    + cos_la * cos(c_la) * sin((c_lo - radians(lon)) / 2) ** 2
                )
                d = EARTH_DIAMETER_KM * asin(sqrt(min(h, 1.0)))
                if d <= km:
                    found.append((d, i))
    return found


def nearest_country(lat: float, lon: float) -> Nearest:
    gaz = get_gazetteer()
    where = f"coordinates {lat:.2f}, {lon:.2f}"
    around = _within(lat, lon, SEARCH_KM)
    if not around:
        return Nearest("none", None, f"{where} are not within {MAX_KM:.0f} km of a city we know")
    near, i = min(around)
    _, _, iso, name, _ = gaz.coords[i]
    # every distance the rules below compare is within `reach` of the point
    reach = max(3 * near if near > MAX_KM else 2 * near + 10, NAMING_KM)
    if reach > SEARCH_KM and near <= RURAL_KM:
        around = _within(lat, lon, reach)
    rival = min((d for d, k in around if gaz.coords[k][2] != iso and d <= reach), default=math.inf)
    if near > RURAL_KM or (near > MAX_KM and rival < 3 * near):
        return Nearest("none", None, f"{where} are not within {MAX_KM:.0f} km of a city we know")
    # Inside a city that reaches a border (kind "coordinates in a border city": Singapore,
    # Geneva) a point is still placed when SURROUNDED cities of its country are all nearer
    # than any city of another one.
    surrounded = sum(1 for d, k in around if d < rival and gaz.coords[k][2] == iso)
    if rival < 2 * near + 10 and surrounded < SURROUNDED:
        return Nearest(
            "none", None, f"{where} are near {name} ({gaz.name(iso)}) but too close to a border"
        )
    if near > MAX_KM:
        return Nearest(
            "resolved",
            iso,
            f"{where}: {near:.0f} km from {name}, inland {gaz.name(iso)} ({iso})",
            RURAL,
            name,
        )
    close = [k for d, k in around if d <= max(NAMING_KM, near) and gaz.coords[k][2] == iso]
    biggest = max(close, key=lambda k: gaz.coords[k][4], default=i)
    named = gaz.coords[biggest][3]
    return Nearest("resolved", iso, f"{where}: near {named} ({iso})", CONFIDENT, named)
