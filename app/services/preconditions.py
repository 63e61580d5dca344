"""Preconditions in one place (issue 17 item 5): what is missing, who can fix it, and the
screen where it is fixed. The words serve the CLI and the API as they are (English); the
screens translate them and add a link to the fixing screen when the signed-in user may use
it (app.views.preconditions). The words are marked with N_ for the catalogue."""
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.models import Integration, Organization
from app.security.roles import ADMIN, ORG_ADMIN, TEMPLATE_EDITOR


def N_(text: str) -> str:  # noqa: N802 - Babel's marker: extracted into the catalogue, not translated here
    return text


@dataclass(frozen=True)
class Precondition:
    words: str  # what is missing, with %(name)s placeholders for `values`
    fixers: tuple  # the roles that can fix it (empty: the portal's operator)
    view: str = ""  # the view class whose `permission` lets a user fix it
    permission: str = ""
    endpoint: str = ""  # where it is fixed, with its `args`
    args: dict = field(default_factory=dict)
    link_text: str = ""
    values: dict = field(default_factory=dict)  # a tuple value: catalogue words, listed

    @property
    def problem(self) -> str:
        """What is missing, in (English) words."""
        return self.words % listed(self.values)

    @property
    def who(self) -> str:
        """Who can fix it, in words."""
        if not self.fixers:
            return "The portal's operator can fix this."
        names = [f"the platform {ADMIN}" if role == ADMIN else f"an {role}"
                 if role[0] in "AEIOU" else f"a {role}" for role in self.fixers]
        joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
        return f"{joined[0].upper()}{joined[1:]} can fix this."

    def __str__(self):
        return f"{self.problem} {self.who}"


def listed(values: dict, word: Callable[[Any], str] = str) -> dict:
    """The values to put into the words: a tuple reads as its `word`s joined by commas."""
    return {name: ", ".join(word(item) for item in value) if isinstance(value, tuple)
            else value for name, value in values.items()}


# Who can fix the preconditions below, for the catalogue (the screens translate `who`).
WHO_WORDS = (N_("The portal's operator can fix this."),
             N_("An Organization Admin or the platform Admin can fix this."),
             N_("A Template Editor or the platform Admin can fix this."))


def no_connection(org: Organization) -> Precondition:
    return Precondition(
        N_("%(org)s has no active connection with a principal: a connection is needed "
           "before importing."), (ORG_ADMIN, ADMIN), "ConnectionView", "can_add",
        "ConnectionView.add", link_text=N_("Add a connection"), values={"org": org.code})


def no_external_integration(org: Organization) -> Precondition:
    return Precondition(
        N_("%(org)s has no active External integration: create one before importing."),
        (ORG_ADMIN, ADMIN), "IntegrationView", "can_add", "IntegrationView.add",
        link_text=N_("Add an integration"), values={"org": org.code})


def inactive_integration(integration: Integration, doing: str | None = None) -> Precondition:
    words = (N_("Integration %(name)s is inactive: activate it before %(doing)s.") if doing
             else N_("Integration %(name)s is inactive: activate it before connecting the "
                     "service."))
    return Precondition(
        words,
        (ORG_ADMIN, ADMIN), "IntegrationView", "can_edit", "IntegrationView.edit",
        {"pk": integration.id}, N_("Edit the integration"),
        {"name": integration.name, "doing": doing})


def missing_templates(org: Organization, labels: list[str]) -> Precondition:
    words = (N_("%(org)s has no mapper template for %(modules)s: files of this module are "
                "refused until there is one.") if len(labels) == 1 else
             N_("%(org)s has no mapper template for %(modules)s: files of these modules "
                "are refused until there is one."))
    return Precondition(
        words, (TEMPLATE_EDITOR, ADMIN), "TemplateView", "can_defaults",
        "TemplateView.defaults", {"org": org.id}, N_("Add default templates"),
        {"org": org.code, "modules": tuple(labels)})


def service_not_configured(label: str, settings: Sequence[str]) -> Precondition:
    """An OAuth service without its client registration (issue 17 item 9)."""
    return Precondition(
        N_("%(service)s is not configured on this portal: the operator must set "
           "%(settings)s (the client of the app registered with %(service)s) and restart "
           "Muara. Until then Connect is not available."), (),
        values={"service": label, "settings": " and ".join(settings)})
