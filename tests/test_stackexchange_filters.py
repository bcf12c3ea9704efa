"""Stack Exchange 2.3 filters in the sandbox (sandbox/stackexchange_filters.py): the field
catalogue matches the docs, include/exclude and built-in filters shape the answer, safe filters
HTML-encode, filter codes are immutable.
"""

from __future__ import annotations

from se_api_calls import call, check_error, check_keys, fixture, make_api

from sandbox import stackexchange_filters as filters


def test_catalogue_matches_doc_fixtures() -> None:
    types = ("user", "shallow_user", "tag", "top_tag", "tag_score", "filter", "question", "answer")
    for type_name in types:
        fx = fixture(type_name)
        catalogue = {f.split(".", 1)[1] for f in filters.FIELDS if f.startswith(type_name + ".")}
        default = {
            f.split(".", 1)[1] for f in filters.DEFAULT_FIELDS if f.startswith(type_name + ".")
        }
        assert catalogue == set(fx["fields"]), type_name
        assert default == set(fx["default_filter"]), type_name
    wrapper = fixture("wrapper")
    assert {f[1:] for f in filters.FIELDS if f.startswith(".")} == set(wrapper["fields"])
    assert {f[1:] for f in filters.DEFAULT_FIELDS if f.startswith(".")} == set(
        wrapper["default_filter"]
    )


def test_safe_filter_html_encodes_and_unsafe_does_not() -> None:
    api, _, _ = make_api()
    _, safe = call(api, "/users/8")
    assert safe["items"][0]["display_name"] == "O&#39;Brien &lt;Dev&gt;"
    assert "location" not in safe["items"][0]  # may be absent: the user has none
    _, created = call(api, "/filters/create", unsafe="true", site=None)
    _, raw = call(api, "/users/8", filter=created["items"][0]["filter"])
    assert raw["items"][0]["display_name"] == "O'Brien <Dev>"


def test_filter_include_exclude_changes_the_field_set() -> None:
    api, _, _ = make_api()
    status, created = call(
        api,
        "/filters/create",
        site=None,
        include="user.about_me;.total;.page_size",
        exclude="user.badge_counts;user.website_url;.quota_max",
        base="default",
        unsafe="false",
    )
    assert status == 200
    flt = created["items"][0]
    assert set(flt) == set(fixture("filter")["fields"])
    assert flt["filter"].startswith("!") and flt["filter_type"] == "safe"
    assert "user.about_me" in flt["included_fields"]
    _, body = call(api, "/users/1;2", filter=flt["filter"])
    assert set(body) == {"items", "has_more", "quota_remaining", "total", "page_size"}
    assert body["total"] == 2 and body["page_size"] == 30
    user = body["items"][0]
    assert user["about_me"] == "<p>I build ML pipelines</p>"
    assert "badge_counts" not in user and "website_url" not in user
    # Filters are immutable codes: a fresh emulator understands the same string.
    fresh, _, _ = make_api()
    _, again = call(fresh, "/users/1", filter=flt["filter"])
    assert "about_me" in again["items"][0]
    _, read = call(fresh, f"/filters/{flt['filter']}", site=None)
    assert read["items"][0]["included_fields"] == flt["included_fields"]


def test_builtin_filters_and_bad_filters() -> None:
    api, _, _ = make_api()
    _, total = call(api, "/users/1;2;3", filter="total")
    assert total == {"total": 3}
    _, none = call(api, "/users/1", filter="none")
    assert none == {}
    _, withbody = call(api, "/users/1", filter="withbody")
    check_keys(withbody["items"][0], "user")
    _, shallow = call(api, "/filters/create", site=None, base="none", include=".items;user.user_id")
    _, only_ids = call(api, "/users/1;2", filter=shallow["items"][0]["filter"])
    assert only_ids == {"items": [{"user_id": 2}, {"user_id": 1}]}
    for params in ({"filter": "nonsense"}, {"filter": "!@@@"}):
        status, err = call(api, "/users/1", **params)
        check_error(status, err, 400, "bad_parameter")
    status, err = call(api, "/filters/create", site=None, include="user.shoe_size")
    check_error(status, err, 400, "bad_parameter")
