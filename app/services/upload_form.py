"""What the Data Import form offers (issue 17): every module, whether the organization
can import it now and why not, and the template a file of it would be read with."""
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.importing.modules import MODULES, SHOWN_ONLY, XML_MODULES
from app.models import Organization
from app.services.templates import templates_used

NOT_SUPPORTED = _l("not supported yet: Muara cannot import it")
NO_TEMPLATE = _l("no mapper template yet: a Template Editor can add one "
                 "(Mapper Templates > Add default templates)")
OWN_FORMAT = _l("read from its own XML format: no template needed")
SEVERAL = _l("several templates and none is the module's default: choose one")
# Module labels are declared in English and shown in the user's language (gettext of the
# label); these are not on a menu, so they are listed here for the catalogue.
LABELS = (_l("Delivery Order"), _l("Delivery Summary"), _l("Workbook (template set)"))


def module_offers(org: Organization) -> list[dict]:
    """One entry per module in the form's order: name, label, available, reason (why it
    cannot be imported), template (the name of the template used when none is chosen)
    and template_note (what the form says instead of a template name)."""
    used = templates_used(org)
    offers = []
    for module in MODULES.values():
        template = used[module.name]
        offer = {"name": module.name, "label": gettext(module.label), "available": True,
                 "reason": None, "template": template["name"], "template_note": None}
        if not template["count"]:
            offer.update(available=False, reason=str(NO_TEMPLATE))
        elif template["name"] is None:
            offer["template_note"] = str(SEVERAL)
        offers.append(offer)
    offers += [{"name": name, "label": gettext(label), "available": False,
                "reason": str(NOT_SUPPORTED),
                "template": None, "template_note": None} for name, label in SHOWN_ONLY.items()]
    offers += [{"name": m.name, "label": gettext(m.label), "available": True, "reason": None,
                "template": None, "template_note": str(OWN_FORMAT)}
               for m in XML_MODULES.values()]
    return offers
