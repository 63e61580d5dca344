"""Imported files, their stored bytes and their rejections (IMP-3..IMP-9)."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    false,
)
from sqlalchemy.orm import deferred, relationship

from app.models.mixins import ValueEnum
from app.models.organizations import TenantOwned
from app.models.tasks import utcnow


class ImportStatus(ValueEnum):
    # stored and waiting for a worker; for Smart-Portal modules also validated into
    # staging and waiting for consolidation (staged_at set)
    imported = "imported"
    processing = "processing"
    archived = "archived"          # done, nothing rejected
    needs_attention = "needs_attention"  # done, some rows rejected
    failed = "failed"              # the file itself could not be read
    checked = "checked"            # read and validated only (check only): nothing written
    undoing = "undoing"            # its undo is under way (a re-run completes it)
    undone = "undone"              # its records removed or given back their values

    @property
    def label(self):
        """The state's word in the current language (English outside a request)."""
        return str(STATE_WORDS[self][0])

    @property
    def meaning(self):
        return str(STATE_WORDS[self][1])


# The one set of words for a file's state (issue 17, seed 000: Imported = waiting,
# Archived = processed): the Files list, its tabs, a file's page, the progress page, the
# e-mail and the help page all read them here (the views through app.views.wording).
STATE_WORDS = {
    ImportStatus.imported: (
        _l("Imported"), _l("Stored and waiting: to be read, or (Sales Orders, Daily Visits, "
                           "Purchase Invoices, Sales Invoices) read and waiting for "
                           "consolidation by the principal's Sync All or the daily run.")),
    ImportStatus.processing: (_l("Processing"), _l("Being read or consolidated now.")),
    ImportStatus.needs_attention: (
        _l("Needs attention"), _l("Processed, but some rows were rejected: review them in "
                                  "the Rejection Log. The file is archived once every "
                                  "rejection is resolved, by hand or by a later file that "
                                  "imports the fixed rows.")),
    ImportStatus.failed: (
        _l("Failed"), _l("The file could not be read or consolidated; nothing of it was "
                         "imported. Its page says why.")),
    ImportStatus.archived: (
        _l("Archived"), _l("Processed: every record is in (imported, or consolidated for "
                           "the principal).")),
    ImportStatus.checked: (
        _l("Checked"), _l("Read and validated only (Check only): nothing was written. Its "
                          "page says what an import would do; Import now imports it.")),
    ImportStatus.undoing: (
        _l("Undoing"), _l("Its undo is under way: the records it created are being removed "
                          "and those it changed given back their earlier values.")),
    ImportStatus.undone: (
        _l("Undone"), _l("Its records were removed or given back their earlier values; "
                         "re-process it to import it again.")),
}

FINAL_STATES = (ImportStatus.archived, ImportStatus.needs_attention, ImportStatus.failed,
                ImportStatus.checked, ImportStatus.undone)


class ImportFile(TenantOwned, Model):
    __tablename__ = "import_file"
    # Seen by the principal it was shared with while their connection is active.
    __shared_principal_column__ = "principal_id"
    __table_args__ = (Index("ix_import_file_dedupe", "organization_id", "module", "sha256"),
                      # Every page asks for its user's finished imports (services.notices).
                      Index("ix_import_file_uploader", "uploaded_by_id", "finished_at"))

    id = Column(Integer, primary_key=True)
    module = Column(String(40), nullable=False, index=True)
    template_id = Column(Integer, ForeignKey("mapper_template.id", ondelete="SET NULL"))
    template = relationship("MapperTemplate")
    principal_id = Column(Integer, ForeignKey("organization.id", ondelete="SET NULL"))
    principal = relationship("Organization", foreign_keys=[principal_id])
    integration_id = Column(Integer, ForeignKey("integration.id", ondelete="SET NULL"))
    integration = relationship("Integration")
    filename = Column(String(255), nullable=False)
    size = Column(BigInteger, nullable=False)
    sha256 = Column(String(64), nullable=False)
    uploaded_by_id = Column(Integer, ForeignKey("ab_user.id", ondelete="SET NULL"))
    uploaded_by = relationship(User)
    uploaded_at = Column(DateTime, nullable=False, default=utcnow)
    forced = Column(Boolean, nullable=False, default=False)
    # How the file came: "screen" (Data Import), "cli" (muara import) or "api" (pushed by
    # the integration's own system; its sync mode may consolidate it on arrival).
    source = Column(String(10), nullable=False, default="screen", server_default="screen")
    status = Column(Enum(ImportStatus, name="import_status", native_enum=False, length=20),
                    nullable=False, default=ImportStatus.imported, index=True)
    rows_total = Column(Integer)  # an estimate until the job ends
    rows_done = Column(Integer, nullable=False, default=0)
    accepted = Column(Integer, nullable=False, default=0)
    rejected = Column(Integer, nullable=False, default=0)
    error_code = Column(String(40))
    error_message = Column(Text)
    started_at = Column(DateTime)
    finished_at = Column(DateTime)
    task_id = Column(Integer, ForeignKey("background_task.id", ondelete="SET NULL"))
    # The one run that may write this file (app/importing/claim.py): its queue job id,
    # and how many batches it has committed (a batch retried after a lost connection is
    # not counted twice).
    run_token = Column(String(64))
    run_batches = Column(Integer, nullable=False, default=0, server_default="0")
    # The file's header row as read, to rebuild rejected rows with their columns.
    header_json = Column(Text)
    # How the file was read ({"format", "encoding", "delimiter", "sheet"}) and the
    # file-level warnings ([{"code", "message"}]): shown with the result (issue 13).
    read_as_json = Column(Text)
    warnings_json = Column(Text)
    # Smart-Portal modules (seed 000): validated into staging (staged_at), then
    # consolidated (consolidated_at, with the number of documents it wrote).
    staged_at = Column(DateTime)
    consolidated_at = Column(DateTime)
    consolidated_records = Column(Integer)
    # A child import: the rows of `parent` fixed in the browser and imported on their own
    # (issue 19); its counts roll up to the parent on the parent's page.
    parent_id = Column(Integer, ForeignKey("import_file.id", ondelete="SET NULL"), index=True)
    parent = relationship("ImportFile", remote_side=[id], foreign_keys=[parent_id])
    # The address the uploader used ("https://portal.example/"), for the links of the
    # result e-mail when MUARA_PUBLIC_URL is not set (issue 17.1).
    base_url = Column(String(255))
    # The uploader has been told the job ended (a notice on their next page, issue 17.12).
    result_seen = Column(Boolean, nullable=False, default=False, server_default=false())
    # Check only (issue 19): the job reads and validates the file and writes nothing;
    # check_json holds what an import would do ({"would_create", "would_update",
    # "unchanged"}). undo_json: the undo's result ({"removed", "restored", "kept"}).
    dry_run = Column(Boolean, nullable=False, default=False, server_default=false())
    check_json = Column(Text)
    undo_json = Column(Text)
    undone_at = Column(DateTime)
    # A workbook imported with a template set (issue 19.5): the file is the parent, each
    # sheet a child import of its module (its own counts and rejections, `parent_id`
    # above) that reads the parent's stored bytes, from its `sheet`.
    template_set_id = Column(Integer, ForeignKey("template_set.id", ondelete="SET NULL"))
    template_set = relationship("TemplateSet")
    sheet = Column(String(100))

    def __repr__(self):
        return f"#{self.id} {self.filename}"

    @property
    def job_finished(self):
        """The import job is over: a final state, or staged and waiting for consolidation."""
        return self.status in FINAL_STATES or (self.status == ImportStatus.imported
                                               and self.staged_at is not None)

    def module_name(self):
        from app.importing.modules import module_label
        return module_label(self.module)

    def status_name(self):
        return self.status.label


class ImportBlob(Model):
    """The original bytes, apart from the import row so lists never load them."""
    __tablename__ = "import_blob"

    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="CASCADE"),
                       primary_key=True)
    content = deferred(Column(LargeBinary, nullable=False))


class ImportRejection(TenantOwned, Model):
    __tablename__ = "import_rejection"
    __table_args__ = (Index("ix_rejection_import_row", "import_id", "row"),
                      Index("ix_rejection_natural_key", "organization_id", "module",
                            "natural_key"),
                      # The Rejection Log's reason choice counts an organization's
                      # rejections by reason: read from this index alone.
                      Index("ix_rejection_reasons", "organization_id", "severity", "reason"))

    id = Column(Integer, primary_key=True)
    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="CASCADE"),
                       nullable=False)
    import_file = relationship("ImportFile", foreign_keys=[import_id])
    module = Column(String(40), nullable=False, index=True)
    row = Column(Integer)  # the row number a spreadsheet program shows (CSV: the line)
    # Customer returns: the return the message is about, by its number (or guid) as the
    # file gives it; the log shows it instead of the row (issue 17 item 10).
    document = Column(String(100))
    column = Column(String(100))
    field = Column(String(60))
    value = Column(Text)
    reason = Column(String(40), nullable=False, index=True)
    message = Column(Text, nullable=False)
    # error: the record was rejected; warning and info: lines of the import's message log
    # (customer returns), which count neither as accepted nor as rejected.
    severity = Column(String(10), nullable=False, default="error", server_default="error")
    original = Column(Text)  # JSON list: the row's cells as read
    resolved = Column(Boolean, nullable=False, default=False)
    resolved_at = Column(DateTime)
    # The rejected row's natural key as JSON text (None: the module has none, or the row's
    # key itself was not valid), filled by the batch writer; a later file of the same
    # organization and module that imports a record with this key resolves the rejection
    # and is named in resolved_by (issue 17), as is the child import that took the row
    # once fixed in the browser (issue 19); None with resolved: marked resolved by hand.
    natural_key = Column(Text)
    resolved_by_id = Column(Integer, ForeignKey("import_file.id", ondelete="SET NULL"))
    resolved_by = relationship("ImportFile", foreign_keys=[resolved_by_id])

    def return_shown(self):
        """The return a customer-returns message is about, for the message log: its
        number, else its place in the file; a message of no return is the file's."""
        if self.document:
            return self.document
        if self.row is not None:
            return f"Return {self.row} of the file, without a number"
        return "The whole file"


class ImportBeforeImage(Model):
    """A record as it was before an import wrote it (issue 19, undo): written in the
    import's batch transaction, one row per record the import touched. `before` is the
    JSON of the columns the import changed, NULL when the import created the record."""
    __tablename__ = "import_before_image"
    __table_args__ = (Index("ix_before_image_record", "table_name", "record_id"),)

    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="CASCADE"),
                       primary_key=True)
    table_name = Column(String(60), primary_key=True)
    record_id = Column(Integer, primary_key=True)
    before = Column(Text)
