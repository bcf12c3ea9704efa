"""Stack Exchange sites: their names, domains, and how a user of one is keyed and linked.

Every Stack Exchange site numbers its users from 1: user 123 on datascience is not user 123 on
stackoverflow. Profiles of every site share the source "stackoverflow" (one platform, one
parser, one ranking signal) and carry their site in `profiles.site`; the key
(source, external_id) stays unique because a user of any site but stackoverflow has an
external id namespaced by the site:

    stackoverflow user 123  ->  external_id "123"             site "stackoverflow"
    datascience user 123    ->  external_id "datascience:123"  site "datascience"

so databases, raw-record keys, suppression hashes, identity links and references made before
sites existed keep meaning Stack Overflow, and a reference to another site is its stored key:
`stackoverflow:datascience:123` (or the profile URL). A site is named by its API
`site` parameter (api_site_parameter: "stackoverflow", "datascience", "meta.stackoverflow");
a domain ("datascience.stackexchange.com") is read as the same site. A site name never holds
a colon, so an external id splits one way only.
"""

from __future__ import annotations

import re

from config.handles import HandleError

SOURCE = "stackoverflow"  # the source of every Stack Exchange profile, whatever its site
DEFAULT_SITE = "stackoverflow"
# api_site_parameter: lower-case letters, digits and hyphens, dot-separated ("pt.stackoverflow").
_SITE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,40})(?:\.[a-z0-9][a-z0-9-]{0,40}){0,2}")
# Sites on a domain of their own; every other site is NAME.stackexchange.com.
_OWN_DOMAINS = {
    "stackoverflow": "stackoverflow.com",
    "serverfault": "serverfault.com",
    "superuser": "superuser.com",
    "askubuntu": "askubuntu.com",
    "mathoverflow": "mathoverflow.net",
    "stackapps": "stackapps.com",
    "meta": "meta.stackexchange.com",
}
_BY_DOMAIN = {domain: site for site, domain in _OWN_DOMAINS.items()}
_USER_URL = re.compile(r"^https?://([a-z0-9.-]+)/users/(\d{1,10})(?:[/?#].*)?$", re.I)


def site_of_domain(host: str) -> str | None:
    """The site served at `host` (`datascience.stackexchange.com` -> datascience), or None
    when the host is no Stack Exchange site."""
    host = host.lower().removeprefix("www.").rstrip(".")
    if host in _BY_DOMAIN:
        return _BY_DOMAIN[host]
    if host.endswith(".meta.stackexchange.com"):  # datascience.meta.stackexchange.com
        return "meta." + host.removesuffix(".meta.stackexchange.com")
    if host.endswith(".stackexchange.com"):
        return host.removesuffix(".stackexchange.com")
    for site, domain in _OWN_DOMAINS.items():  # meta.stackoverflow.com, pt.stackoverflow.com
        if host.endswith("." + domain) and site != "meta":
            return f"{host.removesuffix('.' + domain)}.{site}"
    return None


def stackexchange_site(value: str) -> str:
    """The site named by `value` (an api_site_parameter or a domain), else a HandleError."""
    text = value.strip().lower()
    name = site_of_domain(text) if text.endswith((".com", ".net")) else text
    if name and _SITE.fullmatch(name):
        return name
    raise HandleError(
        f"{value!r} is not a Stack Exchange site (its API name, e.g. stackoverflow or "
        "datascience, or its domain, e.g. datascience.stackexchange.com)"
    )


def site_domain(site: str) -> str:
    """datascience -> datascience.stackexchange.com, meta.stackoverflow -> meta.stackoverflow.com"""
    if site in _OWN_DOMAINS:
        return _OWN_DOMAINS[site]
    first, _, rest = site.partition(".")
    if rest in _OWN_DOMAINS:  # meta.stackoverflow, pt.stackoverflow
        return f"{first}.{_OWN_DOMAINS[rest]}"
    if first == "meta" and rest:  # meta.datascience
        return f"{rest}.meta.stackexchange.com"
    return f"{site}.stackexchange.com"


def user_key(site: str, user_id: int | str) -> str:
    """A site's user as profiles.external_id: "123" on stackoverflow, "datascience:123" else."""
    return str(user_id) if site == DEFAULT_SITE else f"{site}:{user_id}"


def split_user_key(external_id: str) -> tuple[str, str]:
    """(site, user id) of a Stack Exchange external id: "datascience:123" -> (datascience, 123)."""
    site, sep, user = external_id.rpartition(":")
    return (site, user) if sep else (DEFAULT_SITE, external_id)


def profile_site(source: str, external_id: str) -> str | None:
    """profiles.site of a profile: its Stack Exchange site, None for a source with one site."""
    return split_user_key(external_id)[0] if source == SOURCE else None


def user_url(site: str, user_id: int | str) -> str:
    """https://datascience.stackexchange.com/users/123: where a site shows its user."""
    return f"https://{site_domain(site)}/users/{user_id}"


def user_of_url(url: str) -> tuple[str, int] | None:
    """(site, user id) of a Stack Exchange user page URL, None for any other URL."""
    found = _USER_URL.match(url.strip())
    if found is None:
        return None
    site = site_of_domain(found.group(1))
    return None if site is None else (site, int(found.group(2)))
