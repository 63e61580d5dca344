"""The documents an integration pushes (SYN-4), declared once as marshmallow schemas:
the API validates with them, its OpenAPI document shows them, and the apply step reads
the payloads they produced."""
import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

KINDS = ("sales_transaction", "transfer_out", "transfer_in", "stock_adjustment",
         "stock_opname", "customer")
# Seed 001: the Sync Mode governs sales transactions; Transfer Sync governs transfers
# outlet to outlet / warehouse and stock opnames. Stock adjustments follow the sync
# mode (the seed is silent); customers are master data and apply at once, so the
# transactions that name them find them.
SALES_KINDS = ("sales_transaction", "stock_adjustment")
TRANSFER_KINDS = ("transfer_out", "transfer_in", "stock_opname")
MASTER_KINDS = ("customer",)
GROUPS = {"sales": SALES_KINDS, "transfers": TRANSFER_KINDS, "master": MASTER_KINDS}
MAX_DOCUMENTS = 1000


class DocumentDate(fields.Field):
    """ISO date or date-time; a time zone is converted to UTC (stored naive, in UTC)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise ValidationError("Not a date: use YYYY-MM-DD or an ISO 8601 date-time.")
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError("Not a date: use YYYY-MM-DD or an ISO 8601 date-time.") from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return parsed

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else value.isoformat()


# Text without control characters (PostgreSQL refuses NUL; none belongs in a code).
PRINTABLE = validate.Regexp(r"^[^\x00-\x1f\x7f]*$",
                            error="Must not contain control characters.")


def _text(required=False, minimum=0, length=40, **kwargs):
    return fields.String(required=required, **kwargs,
                         validate=[validate.Length(min=minimum, max=length), PRINTABLE])


def _code(required=True, length=40):
    return _text(required, 1, length)


def _quantity(minimum=-10**15, min_inclusive=True):
    # OpenAPI 3.0 marks an open lower bound with a boolean exclusiveMinimum.
    metadata = {} if min_inclusive else {"exclusiveMinimum": True}
    return fields.Decimal(required=True, allow_nan=False, metadata=metadata,
                          validate=validate.Range(min=minimum, max=10**15,
                                                  min_inclusive=min_inclusive))


class StrictSchema(Schema):
    class Meta:
        ordered = True


class ProductLineSchema(StrictSchema):
    product = _code()
    quantity = _quantity()


class PositiveLineSchema(StrictSchema):
    product = _code()
    quantity = _quantity(0, min_inclusive=False)


class SalesLineSchema(PositiveLineSchema):
    unit_price = fields.Decimal(required=True, allow_nan=False,
                                validate=validate.Range(min=0, max=10**15))


class DocumentSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(KINDS))
    reference = _code(length=120)
    date = DocumentDate(required=True, metadata={
        "type": "string", "format": "date",
        "description": "YYYY-MM-DD or an ISO 8601 date-time (converted to UTC)"})


def _kind(name):
    return fields.String(required=True, validate=validate.OneOf([name]))


def _lines(schema):
    return fields.List(fields.Nested(schema), required=True,
                       validate=validate.Length(min=1, max=1000))


class SalesTransactionSchema(DocumentSchema):
    kind = _kind("sales_transaction")
    location = _code(required=False)
    customer = _code(required=False, length=60)
    lines = _lines(SalesLineSchema)


class TransferOutSchema(DocumentSchema):
    kind = _kind("transfer_out")
    location = _code()
    destination = _code()
    lines = _lines(PositiveLineSchema)


class TransferInSchema(DocumentSchema):
    kind = _kind("transfer_in")
    location = _code()
    transfer_out = _code(length=120)
    lines = _lines(PositiveLineSchema)


class StockAdjustmentSchema(DocumentSchema):
    kind = _kind("stock_adjustment")
    location = _code()
    note = _text(length=200)
    lines = _lines(ProductLineSchema)


class OpnameLineSchema(StrictSchema):
    product = _code()
    quantity = _quantity(0)


class StockOpnameSchema(DocumentSchema):
    kind = _kind("stock_opname")
    location = _code()
    lines = _lines(OpnameLineSchema)


class CustomerSchema(DocumentSchema):
    kind = _kind("customer")
    name = _code(length=200)
    customer_id = _text(length=40, allow_none=True)


SCHEMAS = {"sales_transaction": SalesTransactionSchema(), "transfer_out": TransferOutSchema(),
           "transfer_in": TransferInSchema(), "stock_adjustment": StockAdjustmentSchema(),
           "stock_opname": StockOpnameSchema(), "customer": CustomerSchema()}


class PushSchema(StrictSchema):
    """The body of POST /documents: the API documents each kind's schema."""
    documents = fields.List(fields.Dict(), required=True,
                            validate=validate.Length(min=1, max=MAX_DOCUMENTS))


def validate_documents(body: Any) -> tuple[list[dict], dict]:
    """(documents, errors): the loaded documents when `errors` is empty, else the
    per-field errors as {"documents[2].lines[0].quantity": [...]}."""
    errors = {}
    if not isinstance(body, dict):
        return [], {"_schema": ["The body must be a JSON object with a documents list."]}
    try:
        raw = PushSchema().load(body)["documents"]
    except ValidationError as exc:
        return [], _flatten(exc.messages)
    loaded = []
    for index, document in enumerate(raw):
        kind = document.get("kind")
        schema = SCHEMAS.get(kind) if isinstance(kind, str) else None
        if schema is None:
            errors[f"documents[{index}].kind"] = [f"Must be one of: {', '.join(KINDS)}."]
            continue
        try:
            loaded.append(schema.load(document))
        except ValidationError as exc:
            errors.update(_flatten(exc.messages, f"documents[{index}]"))
    return loaded, errors


def _flatten(messages, prefix=""):
    flat = {}
    if isinstance(messages, list):
        flat[prefix or "_schema"] = [str(m) for m in messages]
        return flat
    for key, value in messages.items():
        if isinstance(key, int):
            name = f"{prefix}[{key}]"
        else:
            name = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flatten(value, name))
        else:
            flat[name] = [str(m) for m in value]
    return flat


def payload_of(document: dict) -> dict:
    """The loaded document as JSON-ready data (dates and decimals as strings)."""
    out = {}
    for key, value in document.items():
        if isinstance(value, dt.datetime):
            value = value.isoformat()
        elif key == "lines":
            value = [{k: str(v) for k, v in line.items()} for line in value]
        out[key] = value
    return out
