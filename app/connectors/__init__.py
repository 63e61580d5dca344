"""Connectors to outside services an integration signs in to with OAuth 2 (INT-3).

No Flask in here: a connector is given its settings and tokens and speaks HTTP."""
from app.connectors.accurate import AccurateConnector

CONNECTORS = {"accurate": AccurateConnector}


def connector_for(service, settings):
    """The connector of `service` (an IntegrationKind value) built from app settings."""
    try:
        return CONNECTORS[str(service)].from_settings(settings)
    except KeyError:
        raise LookupError(f"no connector for service {service!r}") from None
