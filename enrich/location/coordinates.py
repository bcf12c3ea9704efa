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
from typing import TYPE_CHECKING

from enrich.location.gazetteer import get_gazetteer

if TYPE_CHECKING:  # numpy is imported on first use: every `scout` command imports this module
    import numpy as np
    import numpy.typing as npt

MAX_KM = 50.0
RURAL_KM = 150.0  # beyond MAX_KM, only where no other country is within 3x the distance
NAMING_KM = 30.0  # the city a reason names: the largest within this distance
BAND_KM = 3 * RURAL_KM + 60  # farther than any distance the rules compare
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
_ARRAYS: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.str_]] | None = None


def _arrays() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.str_]]:
    global _ARRAYS
    import numpy as np

    with _LOCK:
        if _ARRAYS is None:
            coords = get_gazetteer().coords
            _ARRAYS = (
                np.radians(np.array([c[0] for c in coords], dtype=np.float64)),
                np.radians(np.array([c[1] for c in coords], dtype=np.float64)),
                np.array([c[2] for c in coords]),
            )
        return _ARRAYS


def nearest_country(lat: float, lon: float) -> Nearest:
    import numpy as np

    gaz = get_gazetteer()
    lats, lons, countries = _arrays()
    la, lo = math.radians(lat), math.radians(lon)
    where = f"coordinates {lat:.2f}, {lon:.2f}"
    # Only cities within a band of latitude can matter: every distance the rules compare is
    # under BAND_KM, so the haversine runs on a few thousand cities instead of all of them.
    band = np.flatnonzero(np.abs(lats - la) < BAND_KM / (EARTH_DIAMETER_KM / 2))
    if not band.size:
        return Nearest("none", None, f"{where} are not within {MAX_KM:.0f} km of a city we know")
    b_lats, b_lons, b_countries = lats[band], lons[band], countries[band]
    h = (
        np.sin((b_lats - la) / 2) ** 2
        + math.cos(la) * np.cos(b_lats) * np.sin((b_lons - lo) / 2) ** 2
    )
    dist = EARTH_DIAMETER_KM * np.arcsin(np.sqrt(h))
    j = int(np.argmin(dist))
    i = int(band[j])
    _, _, iso, name, _ = gaz.coords[i]
    near = float(dist[j])
    countries = b_countries
    others = dist[countries != iso]
    rival = float(others.min()) if others.size else math.inf
    if near > RURAL_KM or (near > MAX_KM and rival < 3 * near):
        return Nearest("none", None, f"{where} are not within {MAX_KM:.0f} km of a city we know")
    # Inside a city that reaches a border (kind "coordinates in a border city": Singapore,
    # Geneva) a point is still placed when SURROUNDED cities of its country are all nearer
    # than any city of another one.
    surrounded = int(np.count_nonzero((dist < rival) & (countries == iso)))
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
    close = np.flatnonzero((dist <= max(NAMING_KM, near)) & (countries == iso))
    biggest = max((int(band[k]) for k in close), key=lambda k: gaz.coords[k][4], default=i)
    named = gaz.coords[biggest][3]
    return Nearest("resolved", iso, f"{where}: near {named} ({iso})", CONFIDENT, named)
