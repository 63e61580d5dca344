from tests.test_tenancy import *  # noqa
from tests.test_tenancy import tenants, principal  # noqa

def test_probe(app, client, principal):
    login(client, "imp_a")
    for view in LIST_VIEWS:
        html = client.get(f"/{view}/list/").get_data(as_text=True)
        print("IMP", view, [w for w in ("DIST-B", "PRIN-Q", "PRIN-P") if w in html])
    login(client, "prin_p")
    for view in ("organizationview", "connectionview"):
        html = client.get(f"/{view}/list/").get_data(as_text=True)
        print("PRIN", view, [w for w in ("DIST-B", "PRIN-Q", "DIST-A") if w in html])
    html = client.get(f"/customerview/list/").get_data(as_text=True)
    import re
    i = html.find("DIST-B"); print(html[i-300:i+100])
