"""What each role's home page shows now (issue 17 item 11), each query limited so the
home page stays cheap on a portal with millions of rows: the newest rows by id, counters
kept on the file (never a count of rows), at most HOME_LIMIT of anything."""
from collections.abc import Sequence

from sqlalchemy import select

from app.extensions import db
from app.models import (
    BackgroundTask,
    Connection,
    ImportFile,
    MapperTemplate,
    Organization,
)
from app.models.apikeys import IntegrationKey
from app.models.imports import ImportStatus
from app.models.tasks import TaskStatus
from app.security import roles
from app.security.tenancy import Viewer, scope, users_criterion

HOME_LIMIT = 10


def _newest(query, column, limit=HOME_LIMIT):
    return db.session.execute(query.order_by(column.desc()).limit(limit)).scalars().all()


def recent_files(viewer: Viewer) -> Sequence[ImportFile]:
    """The Importer's last files and their states."""
    return _newest(scope(select(ImportFile), ImportFile, viewer), ImportFile.id)


def files_needing_attention(viewer: Viewer) -> Sequence[ImportFile]:
    """The Supervisor's files with unresolved rejections (the file's own counter)."""
    query = scope(select(ImportFile), ImportFile, viewer).where(
        ImportFile.status == ImportStatus.needs_attention,
        ImportFile.organization_id == viewer.organization_id)
    return _newest(query, ImportFile.id)


def templates_and_gaps(org: Organization) -> tuple[Sequence[MapperTemplate], list]:
    """The Template Editor's templates and the modules without one."""
    from app.importing.modules import MODULES
    from app.services.templates import missing_default_modules
    templates = db.session.execute(
        select(MapperTemplate).where(MapperTemplate.organization_id == org.id)
        .order_by(MapperTemplate.module, MapperTemplate.name).limit(HOME_LIMIT * 3)
    ).scalars().all()
    missing = [MODULES[name].label for name in missing_default_modules(org)]
    return templates, missing


def waiting_files(principal: Organization) -> tuple[Sequence[ImportFile], bool]:
    """The Principal's files waiting for Sync All, oldest first."""
    from app.services.consolidation import pending_for_principal
    ids = db.session.execute(pending_for_principal(principal.id).limit(HOME_LIMIT + 1)
                             ).scalars().all()
    files = db.session.execute(select(ImportFile).where(ImportFile.id.in_(ids[:HOME_LIMIT]))
                               .order_by(ImportFile.id)).scalars().all() if ids else []
    return files, len(ids) > HOME_LIMIT


def failed_tasks() -> list[tuple[BackgroundTask, str, list[str]]]:
    """The Admin's most recent failed background work, as (task, what it was, why)."""
    tasks = _newest(select(BackgroundTask).where(BackgroundTask.status == TaskStatus.failed),
                    BackgroundTask.id)
    return [(task, task_words(task.function), (task.error or "").strip().splitlines()[-1:])
            for task in tasks]


def task_words(function: str) -> str:
    """A job's dotted path in words: "app.services.import_job.process_import" ->
    "Process import"."""
    name = (function or "").rsplit(".", 1)[-1].removesuffix("_job").replace("_", " ")
    return name[:1].upper() + name[1:]


def workers() -> tuple[list[tuple[str, str, str]] | None, str | None]:
    """The queue's workers as (name, state, current job) for the Admin."""
    from rq import Worker

    from app.queue import queue
    try:
        found = Worker.all(queue=queue().rq)
    except Exception as exc:  # the queue's store is down: say so rather than fail
        return None, f"The queue cannot be reached: {exc}"
    return [(w.name, w.get_state(), w.get_current_job_id() or "") for w in found], None


def organization_admin(viewer: Viewer, user_model: type) -> dict:
    """The Organization Admin's users, active API keys and connections."""
    users = _newest(select(user_model).where(users_criterion(user_model, viewer)),
                    user_model.id, HOME_LIMIT * 2)
    keys = _newest(scope(select(IntegrationKey), IntegrationKey, viewer)
                   .where(IntegrationKey.revoked_at.is_(None)), IntegrationKey.id)
    connections = _newest(scope(select(Connection), Connection, viewer), Connection.id)
    return {"users": users, "api_keys": keys, "connections": connections}


def panels(viewer: Viewer, organization: Organization | None, user_model: type) -> dict:
    """{panel name: its data} for every role the viewer holds."""
    held = viewer.role_names
    found = {}
    if roles.IMPORTER in held:
        found["importer"] = recent_files(viewer)
    if roles.SUPERVISOR in held:
        found["supervisor"] = files_needing_attention(viewer)
    if roles.TEMPLATE_EDITOR in held and organization is not None:
        found["template_editor"] = templates_and_gaps(organization)
    if roles.PRINCIPAL in held and organization is not None:
        found["principal"] = waiting_files(organization)
    if roles.ORG_ADMIN in held and organization is not None:
        found["org_admin"] = organization_admin(viewer, user_model)
    if viewer.is_admin:
        found["admin"] = {"failed": failed_tasks(), "workers": workers()}
    return found
