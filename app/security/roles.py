"""Roles and their permissions, declared in code (SPEC section 1, SEC-1).

The roles other than Admin are the framework's "builtin roles" (FAB_ROLES): their
permissions are read from this declaration on every check, so the code is the truth and
nothing can drift in the database. Admin is the framework's admin role, which holds
every permission that exists.
"""
import re

ADMIN = "Admin"
IMPORTER = "Importer"
SUPERVISOR = "Supervisor"
TEMPLATE_EDITOR = "Template Editor"
PRINCIPAL = "Principal"
# An Admin-level user limited to their own organization (issue 17 item 5): its users,
# connections, integrations, sync settings and API keys; nothing of other organizations.
ORG_ADMIN = "Organization Admin"
ROLES = (ADMIN, IMPORTER, SUPERVISOR, TEMPLATE_EDITOR, PRINCIPAL, ORG_ADMIN)
# The roles an Organization Admin may give, by the kind of its organization: never Admin.
ASSIGNABLE = {"distributor": (IMPORTER, SUPERVISOR, TEMPLATE_EDITOR, ORG_ADMIN),
              "principal": (PRINCIPAL, ORG_ADMIN)}

READ = ("can_list", "can_show")
CRUD = ("can_list", "can_show", "can_add", "can_edit", "can_delete")

# role -> {view class name: actions}. Admin is not listed: it may do everything.
UPLOAD = ("can_upload", "can_progress")
FILE_READ = READ + ("can_download",)
REJECTED_ROWS = ("can_rejected_rows",)
TEMPLATE_TOOLS = ("can_export", "can_import_template", "can_propose", "can_defaults",
                  "can_make_default")
# The Template Files page lists the files to download, so whoever may download may see it.
TEMPLATE_FILES = ("can_index", "can_download")

# Synchronization status (SYN-2): reading it, and acting on one's own integrations.
SYNC_READ = ("can_index", "can_panel", "can_run", "can_record")
SYNC_ACT = ("can_refresh", "can_sync_now")

# Customer returns with their details and texts (RET-1).
RETURN_VIEWS = ("CustomerReturnView", "CustomerReturnDetailView", "ReturnInfoTextView",
                "ReturnTextAssignmentView")

# Consolidated records of the Smart-Portal modules (seed 000) and their lines.
CONSOLIDATED_VIEWS = ("SalesOrderView", "SalesOrderLineView", "DailyVisitView",
                      "PurchaseInvoiceView", "PurchaseInvoiceLineView", "SalesInvoiceView",
                      "SalesInvoiceLineView")
# An integration's OAuth service (INT-3): see it, connect/remove it, run its syncs.
SERVICE_LINK = ("can_view", "can_connect", "can_sync")
# What a service sync brings (read-only: the service is the source).
SERVICE_DATA_VIEWS = ("TaxView", "PaymentTermView", "EmployeeView", "ServiceSalesOrderView",
                      "ServiceSalesOrderLineView")

GRANTS = {
    IMPORTER: {
        "HelpView": ("can_index",),
        "OrganizationView": READ,
        "LocationView": CRUD,
        "CustomerView": CRUD,
        "ProductView": CRUD,
        "ConnectionView": READ,
        "IntegrationView": READ,
        "SyncStatusView": SYNC_READ + SYNC_ACT,
        "ServiceLinkView": SERVICE_LINK,
        **{view: READ for view in SERVICE_DATA_VIEWS},
        "DataImportView": UPLOAD,
        "ImportFileView": FILE_READ + REJECTED_ROWS + ("can_import_now",),
        "ImportRejectionView": READ,
        "TemplateView": READ + ("can_export",),
        "TemplateFieldView": READ,
        "ModuleTemplateView": TEMPLATE_FILES,
        "TemplateSetView": READ + ("can_upload_workbook",),
        "TemplateSetSheetView": READ,
        "OpenInvoiceView": READ,
        "BalanceAdjustmentView": READ,
        "StockEntryView": READ,
        **{view: READ for view in RETURN_VIEWS},
        **{view: READ for view in CONSOLIDATED_VIEWS},
    },
    SUPERVISOR: {
        "HelpView": ("can_index",),
        "OrganizationView": READ,
        "LocationView": READ,
        "CustomerView": READ,
        "ProductView": READ,
        "ImportFileView": FILE_READ + REJECTED_ROWS + ("can_reprocess", "can_import_now",
                                                       "can_undo"),
        **{view: READ for view in SERVICE_DATA_VIEWS},
        "ImportRejectionView": READ + ("resolve",),
        # Fixing rejected rows in the browser resolves them: who resolves, fixes.
        "FixRowsView": ("can_fix",),
        "SyncStatusView": SYNC_READ,
        "TemplateView": READ,
        "TemplateFieldView": READ,
        "ModuleTemplateView": TEMPLATE_FILES,
        "TemplateSetView": READ,
        "TemplateSetSheetView": READ,
        "OpenInvoiceView": READ,
        "BalanceAdjustmentView": READ,
        "StockEntryView": READ,
        **{view: READ for view in RETURN_VIEWS},
        **{view: READ for view in CONSOLIDATED_VIEWS},
    },
    TEMPLATE_EDITOR: {
        "HelpView": ("can_index",),
        "OrganizationView": READ,
        "LocationView": READ,
        "CustomerView": READ,
        "ProductView": READ,
        "TemplateView": CRUD + TEMPLATE_TOOLS,
        "TemplateFieldView": CRUD,
        "ModuleTemplateView": TEMPLATE_FILES,
        "TemplateSetView": CRUD,
        "TemplateSetSheetView": CRUD,
    },
    PRINCIPAL: {
        "HelpView": ("can_index",),
        "OrganizationView": READ,
        "ConnectionView": READ,
        "ImportFileView": FILE_READ,
        "OpenInvoiceView": READ,
        "BalanceAdjustmentView": READ,
        "StockEntryView": READ,
        **{view: READ for view in CONSOLIDATED_VIEWS},
        "SyncAllView": ("can_sync",),
        "DashboardView": ("can_view",),
    },
}

# The framework's Users screen (its class name for permissions), for the Organization
# Admin: the users of its own organization only (app.security.tenancy.users_criterion).
USERS_SCREEN = "UserDBModelView"
FRAMEWORK_MENU = {USERS_SCREEN: ("List Users", "Security")}

GRANTS[ORG_ADMIN] = {
    "OrganizationView": READ,
    "LocationView": CRUD,
    "CustomerView": CRUD,
    "ProductView": CRUD,
    "ConnectionView": CRUD,
    "IntegrationView": CRUD,
    "SyncStatusView": SYNC_READ + SYNC_ACT,
    "ServiceLinkView": SERVICE_LINK,
    "IntegrationKeyView": READ + ("can_create_key", "revoke"),
    "ImportFileView": FILE_READ,
    "TemplateView": READ,
    "TemplateFieldView": READ,
    USERS_SCREEN: CRUD,
}

# What every signed-in user may do with their own account.
SELF_SERVICE = (
    ("UserDBModelView", "can_userinfo"),
    ("UserDBModelView", "resetmypassword"),
    ("ResetMyPasswordView", "can_this_form_get"),
    ("ResetMyPasswordView", "can_this_form_post"),
    ("UserInfoEditView", "can_this_form_get"),
    ("UserInfoEditView", "can_this_form_post"),
)


def builtin_roles(menu_of_view):
    """FAB_ROLES for the framework: role -> [(view pattern, permission pattern)].

    `menu_of_view` maps a view class name to its (menu name, category) so a role with
    any permission on a view also sees it in the menu. Patterns are anchored: the framework
    matches them with re.match, and "OrganizationView" must not match a longer name.
    """
    declared = {}
    menu_of_view = {**FRAMEWORK_MENU, **menu_of_view}
    for role, grants in GRANTS.items():
        pairs = list(SELF_SERVICE)
        for view, actions in grants.items():
            pairs.extend((view, action) for action in actions)
            if view in menu_of_view:
                name, category = menu_of_view[view]
                pairs.append((name, "menu_access"))
                if category:
                    pairs.append((category, "menu_access"))
        declared[role] = sorted({(_exact(v), _exact(p)) for v, p in pairs})
    return declared


def _exact(name):
    return f"^{re.escape(name)}$"


def allowed(role, view, action):
    """Whether `role` may do `action` on `view`, per this declaration."""
    if role == ADMIN:
        return True
    return action in GRANTS.get(role, {}).get(view, ())
