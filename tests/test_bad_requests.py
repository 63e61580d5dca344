"""No 500s for bad requests (issue 18, finding 5): every list screen with malformed
paging, ordering and filter parameters, every action endpoint with an unknown name, an
over-limit upload while signed in, the framework's file-download route."""
import io

from flask import url_for

from tests.conftest import login
from tests.factories import make_distributor


def list_views(app):
    with app.test_request_context():
        return [(view, url_for(f"{view.endpoint}.list")) for view in app.appbuilder.baseviews
                if f"{view.endpoint}.list" in app.view_functions]


def malformed_params(view):
    name = view.__class__.__name__
    searchable = list(getattr(view, "search_columns", None) or [])[:2]
    cases = [
        {f"page_{name}": "abc"}, {f"page_{name}": "-1"}, {f"psize_{name}": "x"},
        {f"psize_{name}": "0"}, {f"psize_{name}": "100000"}, {f"page_{name}": "99999"},
        {f"_oc_{name}": "no_such_column", f"_od_{name}": "asc"},
        {f"_oc_{name}": "id", f"_od_{name}": "sideways"},
        {"_flt_0_no_such_column": "x"},
    ]
    for column in searchable:
        # A value no column type can take; a filter number the column does not have.
        cases += [{f"_flt_0_{column}": "2025-13-45'\"<>"}, {f"_flt_9_{column}": "x"}]
    return cases


def status_of(request):
    """The status, or the exception a 500 would come from (the test app propagates it)."""
    try:
        return request().status_code
    except Exception as exc:  # noqa: BLE001
        return f"500: {exc!r:.120}"


def test_every_list_screen_answers_malformed_parameters_without_a_500(app, root_admin):
    views = list_views(app)
    assert len(views) > 20
    failures = []
    for view, path in views:
        for params in malformed_params(view):
            status = status_of(lambda path=path, params=params:
                               root_admin.get(path, query_string=params))
            if not isinstance(status, int) or status >= 500:
                failures.append((path, params, status))
    assert failures == [], "\n".join(map(str, failures))


def test_a_page_size_over_the_limit_is_refused_with_the_portals_page(app, root_admin):
    response = root_admin.get("/customerview/list/", query_string={"psize_CustomerView": "100000"})
    assert response.status_code == 400
    assert "between 1 and 500" in response.text and 'id="error-message"' in response.text
    largest = root_admin.get("/customerview/list/", query_string={"psize_CustomerView": "500"})
    assert largest.status_code == 200


def test_every_action_endpoint_refuses_an_unknown_action(app, root_admin):
    failures = []
    for view, _path in list_views(app):
        if f"{view.endpoint}.action_post" not in app.view_functions:
            continue
        with app.test_request_context():
            post_path = url_for(f"{view.endpoint}.action_post")
            get_path = url_for(f"{view.endpoint}.action", name="no_such_action", pk=1)
        for request in (
                lambda: root_admin.post(post_path, data={"action": "no_such_action", "rowid": "1"}),  # noqa: B023
                lambda: root_admin.post(post_path, data={"rowid": "1"}),  # noqa: B023
                lambda: root_admin.get(get_path)):  # noqa: B023  (called at once, in the loop)
            status = status_of(request)
            if status != 400:
                failures.append((post_path, status))
    assert failures == [], "\n".join(map(str, failures))


def test_the_framework_file_download_route_is_a_404_not_a_500(app, root_admin):
    assert root_admin.get("/customerview/download/csv").status_code == 404


def test_an_over_limit_upload_while_signed_in_gets_the_portals_413_page(app, world, monkeypatch):
    make_distributor(app)
    world.user("imp", "Importer", "D1")
    client = login(app.test_client(), "imp")
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/data-import/upload", content_type="multipart/form-data",
                           data={"file": (io.BytesIO(b"x" * 4096), "big.csv")})
    assert response.status_code == 413
    assert "larger than the upload limit of 1 KB" in response.text


def test_a_bad_request_asking_for_json_gets_json(app, root_admin):
    response = root_admin.get("/customerview/list/", query_string={"page_CustomerView": "x"},
                         headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json["message"] == "page_CustomerView must be a whole number."
