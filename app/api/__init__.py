"""The REST API for integrations (SPEC section 9), registered with the AppBuilder."""


def register_apis(appbuilder):
    from app.api.integration import IntegrationApi
    appbuilder.add_api(IntegrationApi)
