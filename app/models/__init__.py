"""Every model, imported here so that Alembic and create_all see the whole schema.

All models derive from Flask-AppBuilder's `Model`, whose metadata also holds the
framework's security tables: migrations target that one metadata.
"""
from app.models.accounts import AccountState  # noqa: F401
from app.models.apikeys import IntegrationKey  # noqa: F401
from app.models.audit import AuditEvent  # noqa: F401
from app.models.connections import Connection  # noqa: F401
from app.models.consolidated import (  # noqa: F401
                                DailyVisit,
                                PurchaseInvoice,
                                PurchaseInvoiceLine,
                                SalesInvoice,
                                SalesInvoiceLine,
                                SalesOrder,
                                SalesOrderLine,
                                StagedRow,
)
from app.models.documents import (  # noqa: F401
                                SalesTransaction,
                                SalesTransactionLine,
                                StockAdjustment,
                                StockDocumentLine,
                                StockOpname,
                                StockTransfer,
)
from app.models.imports import (  # noqa: F401
    ImportBeforeImage,
    ImportBlob,
    ImportFile,
    ImportRejection,
)
from app.models.integrations import Integration  # noqa: F401
from app.models.mail import MailMessage  # noqa: F401
from app.models.organizations import Customer, Location, Membership, Organization, Product  # noqa: F401
from app.models.returns import (  # noqa: F401
                                CustomerReturn,
                                CustomerReturnDetail,
                                CustomerReturnSubDetail,
                                Partner,
                                ReturnInfoText,
                                ReturnTextAssignment,
                                ReturnTextAssignmentText,
                                ReturnType,
                                UnitOfMeasure,
)
from app.models.sales import BalanceAdjustment, InvoiceCharge, OpenInvoice, StockEntry  # noqa: F401
from app.models.service_links import (  # noqa: F401
                                Employee,
                                PaymentTerm,
                                ServiceLink,
                                ServiceSalesOrder,
                                ServiceSalesOrderLine,
                                SyncCursor,
                                Tax,
)
from app.models.sync import SyncRecord, SyncRun, SyncStatus  # noqa: F401
from app.models.tasks import BackgroundTask  # noqa: F401
from app.models.template_sets import TemplateSet, TemplateSetSheet  # noqa: F401
from app.models.templates import MapperTemplate, TemplateField  # noqa: F401
