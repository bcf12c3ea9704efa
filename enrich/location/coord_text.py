"""Coordinates as profiles write them -> (latitude, longitude), or None.

Kind served: a location field that is a point rather than a name. Two notations are read, and
only when the whole string is the point (a number inside an address is a postcode or a
street number, never a coordinate):

- decimal degrees, signed or with hemispheres: "52.52, 13.40", "-33.87,151.21",
  "lat 19.07 lon 72.88", "40.7128° N, 74.0060° W";
- degrees-minutes-seconds: "48°51'N 2°21'E", "55° 45′ 21″ N, 37° 37′ 4″ E".

Decimal numbers need a decimal point ("2019 2020" is not a point) and DMS needs the degree
sign, so years and phone numbers never read as places. Hemisphere letters decide the order
("2°21'E 48°51'N" is still Paris); a value outside ±90 / ±180 is no coordinate.
"""

from __future__ import annotations

import re

_NUM = r"\d{1,3}(?:\.\d+)?"
# One axis: sign, degrees (with or without the sign °), optional minutes and seconds,
# optional hemisphere letter.
_AXIS = (
    r"(?P<signN>[-+−])?\s*(?P<degN>" + _NUM + r")\s*(?P<degsymN>[°º˚])?\s*"
    r"(?:(?P<minN>\d{1,2}(?:\.\d+)?)\s*['′’]\s*)?"
    r"(?:(?P<secN>\d{1,2}(?:\.\d+)?)\s*(?:[\"″”]|['′’]{2})\s*)?"
    r"(?P<hemN>[NSEWnsew])?"
)
_LAT_WORD = r"(?:lat(?:itude)?\.?\s*[:=]?\s*)?"
_LON_WORD = r"(?:lo?ng?(?:itude)?\.?\s*[:=]?\s*)?"
_AXIS1, _AXIS2 = _AXIS.replace("N>", "1>"), _AXIS.replace("N>", "2>")
_POINT = re.compile(
    rf"^\s*[(\[]?\s*{_LAT_WORD}{_AXIS1}\s*(?:[,;/]\s*|\s+)"
    rf"{_LON_WORD}{_AXIS2}\s*[)\]]?\s*$",
    re.I,
)


def _axis(match: re.Match[str], n: int) -> tuple[float, str] | None:
    deg = match.group(f"deg{n}")
    minutes, seconds = match.group(f"min{n}"), match.group(f"sec{n}")
    dms = minutes is not None or seconds is not None
    if dms and match.group(f"degsym{n}") is None:
        return None  # "48 51' N" without a degree sign: too loose to be sure
    if not dms and "." not in deg and match.group(f"degsym{n}") is None:
        return None  # a bare integer is a year, a count or a postcode
    if dms and "." in deg:
        return None
    value = float(deg) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    if match.group(f"sign{n}"):
        value = -value if match.group(f"sign{n}") in "-−" else value
    hem = (match.group(f"hem{n}") or "").upper()
    if hem in ("S", "W"):
        value = -abs(value)
    return value, hem


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """The point a whole string names, as (lat, lon) in degrees; None if it is not one."""
    if len(text) > 80:
        return None
    match = _POINT.match(text)
    if match is None:
        return None
    first, second = _axis(match, 1), _axis(match, 2)
    if first is None or second is None:
        return None
    (a, hem_a), (b, hem_b) = first, second
    axes = {"N": "lat", "S": "lat", "E": "lon", "W": "lon", "": ""}
    if axes[hem_a] and axes[hem_a] == axes[hem_b]:
        return None  # two latitudes or two longitudes
    if axes[hem_a] == "lon" or axes[hem_b] == "lat":
        a, b = b, a  # written longitude first
    if abs(a) > 90 or abs(b) > 180:
        return None
    return a, b
