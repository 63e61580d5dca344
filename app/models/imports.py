"""Imported files, their stored bytes and their rejections (IMP-3..IMP-9)."""
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
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

    @property
    def label(self):
        return self.value.replace("_", " ").capitalize()


FINAL_STATES = (ImportStatus.archived, ImportStatus.needs_attention, ImportStatus.failed)


class ImportFile(TenantOwned, Model):
    __tablename__ = "import_file"
    __shared_import_key__ = "id"
    __table_args__ = (Index("ix_import_file_dedupe", "organization_id", "module", "sha256"),)

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
    # A workbook imported with a template set (issue 19.5): the file is the parent, each
    # sheet a child import of its module (its own counts and rejections) that reads the
    # parent's stored bytes, from its `sheet`.
    template_set_id = Column(Integer, ForeignKey("template_set.id", ondelete="SET NULL"))
    template_set = relationship("TemplateSet")
    parent_id = Column(Integer, ForeignKey("import_file.id", ondelete="CASCADE"), index=True)
    parent = relationship("ImportFile", remote_side=[id])
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
    __table_args__ = (Index("ix_rejection_import_row", "import_id", "row"),)

    id = Column(Integer, primary_key=True)
    import_id = Column(Integer, ForeignKey("import_file.id", ondelete="CASCADE"),
                       nullable=False)
    import_file = relationship("ImportFile")
    module = Column(String(40), nullable=False, index=True)
    row = Column(Integer)  # the row number a spreadsheet program shows (CSV: the line)
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
