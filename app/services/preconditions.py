"""Preconditions in one place (issue 17 item 5): what is missing, who can fix it, and the
screen where it is fixed. The words serve the CLI and the API as they are; the screens
add a link to the fixing screen when the signed-in user may use it
(app.views.preconditions)."""
from dataclasses import dataclass, field

from app.security.roles import ADMIN, ORG_ADMIN, TEMPLATE_EDITOR


@dataclass(frozen=True)
class Precondition:
    problem: str  # what is missing, in words
    fixers: tuple  # the roles that can fix it (empty: the portal's operator)
    view: str = ""  # the view class whose `permission` lets a user fix it
    permission: str = ""
    endpoint: str = ""  # where it is fixed, with its `args`
    args: dict = field(default_factory=dict)
    link_text: str = ""

    @property
    def who(self):
        """Who can fix it, in words."""
        if not self.fixers:
            return "The portal's operator can fix this."
        names = [f"the platform {ADMIN}" if role == ADMIN else f"an {role}"
                 if role[0] in "AEIOU" else f"a {role}" for role in self.fixers]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"{joined[0].upper()}{joined[1:]} can fix this."

    def __str__(self):
        return f"{self.problem} {self.who}"


def no_connection(org):
    return Precondition(
        f"{org.code} has no active connection with a principal: a connection is needed "
        "before importing.", (ORG_ADMIN, ADMIN), "ConnectionView", "can_add",
        "ConnectionView.add", link_text="Add a connection")


def no_external_integration(org):
    return Precondition(
        f"{org.code} has no active External integration: create one before importing.",
        (ORG_ADMIN, ADMIN), "IntegrationView", "can_add", "IntegrationView.add",
        link_text="Add an integration")


def inactive_integration(integration, doing="connecting the service"):
    return Precondition(
        f"Integration {integration.name} is inactive: activate it before {doing}.",
        (ORG_ADMIN, ADMIN), "IntegrationView", "can_edit", "IntegrationView.edit",
        {"pk": integration.id}, "Edit the integration")


def missing_templates(org, labels):
    these = "this module" if len(labels) == 1 else "these modules"
    return Precondition(
        f"{org.code} has no mapper template for {', '.join(labels)}: files of {these} are "
        "refused until there is one.", (TEMPLATE_EDITOR, ADMIN), "TemplateView",
        "can_defaults", "TemplateView.defaults", {"org": org.id}, "Add default templates")


def service_not_configured(label, settings):
    """An OAuth service without its client registration (issue 17 item 9)."""
    return Precondition(
        f"{label} is not configured on this portal: the operator must set "
        f"{' and '.join(settings)} (the client of the app registered with {label}) and "
        "restart Muara. Until then Connect is not available.", ())
