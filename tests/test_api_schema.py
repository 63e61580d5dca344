"""Schema-driven test of the integration API: schemathesis generates requests from the
served OpenAPI document (valid and invalid ones) and checks every response against it
(status codes, content types, bodies, no server errors), in-process against the WSGI app
with a valid key."""
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.sync_helpers import auth, make_pos

EXAMPLES = 80


def test_api_conforms_to_its_openapi_document(app):
    _, key = make_pos(app)
    schema = schemathesis.openapi.from_wsgi("/api/v1/integration/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(headers=auth(key))
        check()
