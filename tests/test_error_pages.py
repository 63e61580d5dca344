"""A missing page or permission answers with its status inside the portal's layout, with
a sentence that says what happened and a way home."""
from tests.conftest import login


def test_a_page_the_role_may_not_open_is_a_styled_403(app, client, world):
    world.org("D1")
    world.user("editor", "Template Editor", "D1")
    login(client, "editor")
    response = client.get("/imports/list/")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "<h2>Not allowed</h2>" in page
    assert ("You do not have permission to open this page. If you need it, ask an "
            "administrator for the right role.") in page
    assert '<a id="home-link" href="/">Home</a>' in page
    assert "Mapper Templates" in page  # the menu is there


def test_an_unknown_page_is_a_styled_404(app, client, world):
    world.org("D1")
    world.user("imp", "Importer", "D1")
    login(client, "imp")
    for url in ("/no-such-page", "/imports/show/999999"):
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 404, url
        assert "<h2>Page not found</h2>" in page, url
        assert ("There is no such page, or what it showed does not exist (any more) or is "
                "not yours to see.") in page
        assert '<a id="home-link" href="/">Home</a>' in page


def test_the_api_still_answers_a_missing_path_in_json(client):
    response = client.get("/api/v1/integration/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["errors"] == {}
