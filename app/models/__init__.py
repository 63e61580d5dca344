"""Every model, imported here so that Alembic and create_all see the whole schema.

All models derive from Flask-AppBuilder's `Model`, whose metadata also holds the
framework's security tables: migrations target that one metadata.
"""
from app.models.organizations import Organization, Location, Customer, Product, Membership  # noqa: F401
from app.models.connections import Connection  # noqa: F401
from app.models.integrations import Integration  # noqa: F401
from app.models.tasks import BackgroundTask  # noqa: F401
from app.models.templates import MapperTemplate, TemplateField  # noqa: F401
from app.models.imports import ImportFile, ImportBlob, ImportRejection  # noqa: F401
from app.models.sales import OpenInvoice, InvoiceCharge, BalanceAdjustment, StockEntry  # noqa: F401
from app.models.returns import (Partner, UnitOfMeasure, ReturnType, CustomerReturn,  # noqa: F401
                                CustomerReturnDetail, CustomerReturnSubDetail, ReturnInfoText,
                                ReturnTextAssignment, ReturnTextAssignmentText)
from app.models.sync import SyncRun, SyncRecord, SyncStatus  # noqa: F401
from app.models.consolidated import (SalesOrder, SalesOrderLine, PurchaseInvoice,  # noqa: F401
                                    PurchaseInvoiceLine, DailyVisit, StagedRow,
                                    SalesInvoice, SalesInvoiceLine)
from app.models.apikeys import IntegrationKey  # noqa: F401
from app.models.documents import (SalesTransaction, SalesTransactionLine, StockTransfer,  # noqa: F401
                                  StockAdjustment, StockOpname, StockDocumentLine)
from app.models.service_links import (ServiceLink, SyncCursor, Tax, PaymentTerm,  # noqa: F401
                                      Employee, ServiceSalesOrder, ServiceSalesOrderLine)
from app.models.audit import AuditEvent  # noqa: F401
from app.models.accounts import AccountState  # noqa: F401
