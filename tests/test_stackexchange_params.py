"""The parameters every Stack Exchange 2.3 method of the sandbox reads
(sandbox/stackexchange_params.py): `site`, id batches of at most 100, `page`/`pagesize` with
has_more, `sort` with `min`/`max`.
"""

from __future__ import annotations

from datetime import timedelta

from se_api_calls import NOW, call, check_error, ids, make_api


def test_hundred_ids_batch_and_more_is_bad_parameter() -> None:
    api, _, _ = make_api()
    status, body = call(api, f"/users/{ids(1, 100)}", pagesize=100)
    assert status == 200 and len(body["items"]) == 99 and body["has_more"] is False  # 7 deleted
    status, err = call(api, f"/users/{ids(1, 101)}", pagesize=100)
    check_error(status, err, 400, "bad_parameter")
    status, err = call(api, "/users/1;abc")
    check_error(status, err, 404, "no_method")


def test_has_more_paging_and_pagesize_limit() -> None:
    api, _, _ = make_api()
    seen: list[int] = []
    page = 1
    while True:
        _, body = call(api, f"/users/{ids(1, 100)}", page=page, pagesize=40, sort="creation")
        seen += [u["user_id"] for u in body["items"]]
        if not body["has_more"]:
            break
        page += 1
    assert page == 3 and len(seen) == 99 and len(set(seen)) == 99
    assert seen[0] == 1  # creation desc: user 1 is the newest
    _, default_size = call(api, f"/users/{ids(1, 100)}")
    assert len(default_size["items"]) == 30 and default_size["has_more"] is True
    for bad_size in (101, -1):
        status, err = call(api, "/users/1", pagesize=bad_size)
        check_error(status, err, 400, "bad_parameter")
        assert err["error_message"] == "pagesize"


def test_sort_min_max_and_dates() -> None:
    api, _, _ = make_api()
    t20 = int((NOW - timedelta(days=20)).timestamp())
    _, body = call(api, f"/users/{ids(1, 100)}", sort="modified", min=t20, pagesize=100)
    got = [u["last_modified_date"] for u in body["items"]]
    assert got and min(got) >= t20 and got == sorted(got, reverse=True)
    _, names = call(api, "/users/10;2;33", sort="name", order="asc")
    assert [u["display_name"] for u in names["items"]] == ["User 10", "User 2", "User 33"]
    _, rep = call(api, f"/users/{ids(1, 50)}", sort="reputation", min=1000, max=1200)
    assert sorted(u["reputation"] for u in rep["items"]) == [1000, 1100, 1200]
    status, err = call(api, "/users/1", sort="votes")
    check_error(status, err, 400, "bad_parameter")


def test_site_is_required_and_must_exist() -> None:
    api, _, _ = make_api()
    status, err = call(api, "/users/1", site=None)
    check_error(status, err, 400, "bad_parameter")
    assert err["error_message"] == "site is required"
    status, err = call(api, "/users/1", site="nosuchsite")
    check_error(status, err, 400, "bad_parameter")
    assert err["error_message"] == "No site found for name `nosuchsite`"  # as the API says it
    assert call(api, "/users/1", site="stackoverflow.com")[0] == 200
