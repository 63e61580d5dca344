"""POST files, GET imports, POST documents, POST shift-closed (SPEC section 9)."""
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, g, request
from flask_appbuilder.api import BaseApi, expose
from sqlalchemy import select

from app.api.auth import api_key_required, error
from app.errors import MuaraError, NotFound
from app.extensions import db
from app.importing.modules import MODULES, XML_MODULES
from app.models import ImportFile
from app.security.tenancy import integration_criterion, scope
from app.services import document_sync, template_sets
from app.services.imports import create_import, summary
from app.services.sync_documents import SCHEMAS, validate_documents

# Modules a file can be pushed for (those shown but not supported are refused).
FILE_MODULES = tuple(MODULES) + tuple(XML_MODULES)
ERROR_RESPONSE = {"content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/Error"}}}}
COMPONENTS = {
    "Error": {"type": "object", "required": ["message", "errors"],
              "properties": {"message": {"type": "string"},
                             "errors": {"type": "object", "additionalProperties": {
                                 "type": "array", "items": {"type": "string"}}}}},
    "ImportSummary": {
        "type": "object", "required": ["import_id", "status", "rows", "accepted", "rejected",
                                       "rejections"],
        "properties": {
            "import_id": {"type": "integer"},
            "status": {"type": "string"},
            "rows": {"type": "integer"}, "accepted": {"type": "integer"},
            "rejected": {"type": "integer"},
            "rejections": {"type": "array", "items": {"type": "object", "properties": {
                "row": {"type": "integer", "nullable": True},
                "column": {"type": "string", "nullable": True},
                "field": {"type": "string", "nullable": True},
                "value": {"type": "string", "nullable": True},
                "reason": {"type": "string"}, "message": {"type": "string"}}}},
            "messages": {"type": "array", "items": {"type": "object"}},
            "warnings": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}}}},
            "read_as": {"type": "object", "properties": {
                "format": {"type": "string"},
                "encoding": {"type": "string", "nullable": True},
                "delimiter": {"type": "string", "nullable": True},
                "sheet": {"type": "string", "nullable": True}}},
            "error": {"type": "object"}, "note": {"type": "string"},
            # A workbook imported with a template set: each sheet's own import.
            "sheets": {"type": "array", "items": {"type": "object", "properties": {
                "sheet": {"type": "string"}, "module": {"type": "string"},
                "import_id": {"type": "integer"}, "status": {"type": "string"},
                "rows": {"type": "integer"}, "accepted": {"type": "integer"},
                "rejected": {"type": "integer"}}}},
            # A check only (dry_run=true): what an import would do; nothing was written.
            "dry_run": {"type": "boolean"}, "would_create": {"type": "integer"},
            "would_update": {"type": "integer"}, "unchanged": {"type": "integer"}}},
    "PushResult": {
        "type": "object", "required": ["stored", "duplicates", "results"],
        "properties": {
            "stored": {"type": "integer"}, "duplicates": {"type": "integer"},
            "results": {"type": "array", "items": {"type": "object", "properties": {
                "index": {"type": "integer"}, "kind": {"type": "string"},
                "reference": {"type": "string"}, "record_id": {"type": "integer"},
                "result": {"type": "string", "enum": ["stored", "duplicate"]}}}}}},
}


def _numbers_as_numbers(node):
    """apispec writes a Decimal field's range as Decimals (JSON strings): make them
    numbers, as OpenAPI requires."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("minimum", "maximum") and not isinstance(value, (int, float)):
                number = float(value)
                node[key] = int(number) if number.is_integer() else number
            else:
                _numbers_as_numbers(value)
    elif isinstance(node, list):
        for value in node:
            _numbers_as_numbers(value)
    return node


class IntegrationApi(BaseApi):
    """Pushes from an outside system, authenticated by its integration's API key."""
    resource_name = "integration"
    openapi_spec_tag = "Integration"
    csrf_exempt = True
    openapi_spec_component_schemas = tuple(type(s) for s in SCHEMAS.values())

    def add_api_spec(self, api_spec):
        super().add_api_spec(api_spec)
        form = (api_spec._paths[f"{self.route_base}/files"]["post"]["requestBody"]["content"]
                ["multipart/form-data"]["schema"])
        form["properties"]["module"]["enum"] = list(FILE_MODULES)

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        for name, schema in COMPONENTS.items():
            if name not in api_spec.components.schemas:
                api_spec.components.schema(name, schema)
        if "bearer" not in api_spec.components.security_schemes:
            api_spec.components.security_scheme(
                "bearer", {"type": "http", "scheme": "bearer",
                           "description": "a key from `muara apikey create`"})

    @expose("/openapi.json", methods=["GET"])
    def openapi(self):
        """The OpenAPI document of this API, readable without a key (the framework's
        /api/v1/_openapi needs a portal login)."""
        spec = APISpec(title="Muara integration API", version="v1", openapi_version="3.0.2",
                       info={"description": "Push documents and files (SPEC section 9)."},
                       plugins=[MarshmallowPlugin()],
                       servers=[{"url": request.host_url.rstrip("/")}])
        self.add_api_spec(spec)
        document = _numbers_as_numbers(spec.to_dict())
        document["paths"].pop(f"{self.route_base}/openapi.json", None)
        for operations in document["paths"].values():
            for operation in operations.values():
                for code, response in operation.get("responses", {}).items():
                    if str(code).startswith("4"):
                        response.setdefault("content", ERROR_RESPONSE["content"])
        return document, 200

    @expose("/files", methods=["POST"])
    @api_key_required
    def post_file(self):
        """Push a file for import.
        ---
        post:
          summary: Push a file for import (queued; read its result at /imports/N)
          security:
          - bearer: []
          requestBody:
            required: true
            content:
              multipart/form-data:
                schema:
                  type: object
                  required: [file]
                  oneOf:
                  - required: [module]
                  - required: [template_set]
                  properties:
                    file: {type: string, format: binary}
                    module:
                      type: string
                      enum: []
                      description: The module the file is for (required without
                        template_set)
                    template_set:
                      type: string
                      minLength: 1
                      pattern: \\S
                      description: A workbook imported with this template set (its name
                        or id), each sheet into its module, master data first; the
                        import's summary lists the sheets
                    principal: {type: string}
                    dry_run:
                      type: boolean
                      description: Check only; the job validates the file and writes
                        nothing (its result says what an import would do)
          responses:
            202:
              description: Stored and queued
              content:
                application/json:
                  schema:
                    type: object
                    required: [import_id]
                    properties:
                      import_id: {type: integer}
            401: {description: Missing, unknown or revoked key}
            403: {description: Inactive integration}
            413: {description: Over the upload limit}
            404: {description: No such template set in the integration's organization}
            409: {description: "Not taken in the current state: a precondition (connection,
              template, principal), the same file imported before, or over the size limit"}
            422: {description: Missing or wrong fields}
        """
        errors = {}
        upload = request.files.get("file")
        module = (request.form.get("module") or "").strip()
        if upload is None:
            errors["file"] = ["Missing file: send it as the multipart field 'file'."]
        set_name = (request.form.get("template_set") or "").strip()
        if set_name and module:
            errors["template_set"] = ["Give either module or template_set, not both."]
        elif not module and not set_name:
            errors["module"] = ["Missing data for required field (or give template_set)."]
        elif module and module not in FILE_MODULES:
            errors["module"] = [f"Must be one of: {', '.join(FILE_MODULES)}."]
        dry_run = (request.form.get("dry_run") or "false").strip().lower()
        if dry_run not in ("true", "false", "1", "0"):
            errors["dry_run"] = ["Must be true or false."]
        if errors:
            return error(422, "The file was not taken.", errors)
        org = g.integration.organization
        options = dict(principal_code=request.form.get("principal") or None,
                       integration_name=g.integration.name, source="api",
                       dry_run=dry_run in ("true", "1"))
        try:
            if set_name:
                template_set = template_sets.find_set(org, set_name)
                imp = template_sets.create_set_import(org, template_set,
                                                      upload.filename or "upload",
                                                      upload.stream, **options)
            else:
                imp = create_import(org, module, upload.filename or "upload", upload.stream,
                                    **options)
        except NotFound as exc:
            db.session.rollback()
            return error(404, str(exc))
        except MuaraError as exc:
            db.session.rollback()
            return error(409, str(exc))
        return {"import_id": imp.id}, 202

    @expose("/imports/<int(signed=True):import_id>", methods=["GET"])
    @api_key_required
    def get_import(self, import_id):
        """An import's status and rejections.
        ---
        get:
          summary: The status and rejections of an import (the `import --wait` JSON)
          security:
          - bearer: []
          parameters:
          - in: path
            name: import_id
            required: true
            schema: {type: integer, format: int32, minimum: 1}
          responses:
            200:
              description: The import's summary
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/ImportSummary'}
            401: {description: Missing, unknown or revoked key}
            403: {description: Inactive integration}
            404: {description: No such import of this integration}
        """
        imp = None
        if 0 < import_id < 2 ** 31:
            # SEC-2: another integration's (or organization's) import is not found.
            query = select(ImportFile).where(ImportFile.id == import_id)
            imp = db.session.execute(scope(query, ImportFile, g.integration,
                                           criterion=integration_criterion)).scalar()
        if imp is None:
            return error(404, f"No import #{import_id} of integration {g.integration.name}.")
        return summary(imp, limit=current_app.config.get("API_REJECTIONS_LIMIT", 1000)), 200

    @expose("/documents", methods=["POST"])
    @api_key_required
    def post_documents(self):
        """Push documents.
        ---
        post:
          summary: Push documents; each is stored once (by kind and reference) and applied
            per the sync settings
          security:
          - bearer: []
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  type: object
                  required: [documents]
                  additionalProperties: false
                  properties:
                    documents:
                      type: array
                      minItems: 1
                      maxItems: 1000
                      items:
                        oneOf:
                        - $ref: '#/components/schemas/SalesTransactionSchema'
                        - $ref: '#/components/schemas/TransferOutSchema'
                        - $ref: '#/components/schemas/TransferInSchema'
                        - $ref: '#/components/schemas/StockAdjustmentSchema'
                        - $ref: '#/components/schemas/StockOpnameSchema'
                        - $ref: '#/components/schemas/CustomerSchema'
          responses:
            202:
              description: Every document stored (or found stored already)
              content:
                application/json:
                  schema: {$ref: '#/components/schemas/PushResult'}
            401: {description: Missing, unknown or revoked key}
            403: {description: Inactive integration}
            422: {description: A document with missing or wrong fields; nothing stored}
        """
        body = request.get_json(silent=True)
        if body is None:
            return error(422, "The body must be JSON.", {"_schema": ["Not a JSON body."]})
        documents, errors = validate_documents(body)
        if errors:
            return error(422, "Nothing was stored: fix the documents named in errors.", errors)
        try:
            results = document_sync.accept_documents(g.integration, documents)
        except MuaraError as exc:
            db.session.rollback()
            return error(422, str(exc))
        stored = sum(1 for r in results if r["result"] == "stored")
        return {"stored": stored, "duplicates": len(results) - stored, "results": results}, 202

    @expose("/shift-closed", methods=["POST"])
    @api_key_required
    def post_shift_closed(self):
        """A register shift closed.
        ---
        post:
          summary: Signal that a register shift closed (applies waiting sales in "on shift
            closing" mode)
          security:
          - bearer: []
          responses:
            202:
              description: Taken
              content:
                application/json:
                  schema:
                    type: object
                    required: [applies, pending]
                    properties:
                      applies: {type: boolean}
                      pending: {type: integer}
                      message: {type: string}
            401: {description: Missing, unknown or revoked key}
            403: {description: Inactive integration}
        """
        return document_sync.shift_closed(g.integration), 202
