"""Migrations alone build the schema, and it matches the models (OPS-3)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model

from app.extensions import db
from tests.factories import GOOD_INVOICES, invoice_file, make_distributor, run_import


def test_the_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Model.metadata)
    assert differences == [], "models changed without a migration: run `flask --app run db migrate`"


def test_init_is_repeatable(app, runner):
    first = runner.invoke(args=["muara", "init"])
    second = runner.invoke(args=["muara", "init"])
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert "roles and permissions synced" in second.output


def test_the_principal_migration_shares_records_by_their_file_and_loses_nothing(
        app, runner, tmp_path):
    """Down past 858ded5b5f7c and up again: the records get their file's principal back, and
    the tables SQLite rebuilds (open_invoice, customer_return) keep their children (a
    rebuilt parent's DROP TABLE would otherwise cascade to invoice_charge)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from app.models import InvoiceCharge, OpenInvoice, Organization

    make_distributor(app)
    run_import(runner, invoice_file(tmp_path, GOOD_INVOICES))
    with app.app_context():
        p1 = db.session.execute(select(Organization.id).where(Organization.code == "P1")).scalar()
        db.session.remove()
        downgrade(revision="48230858f9c3")
        upgrade()
        shared = db.session.execute(select(OpenInvoice.principal_id)).scalars().all()
        charges = db.session.execute(select(func.count()).select_from(InvoiceCharge)).scalar()
    assert shared == [p1, p1]
    assert charges == 2


def task_after_upgrade(app, revision, function, args):
    """The job a task row written at `revision` (by the code of then) names after the
    upgrade to head."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import select

    from app.models.tasks import BackgroundTask
    with app.app_context():
        downgrade(revision=revision)
        db.session.add(BackgroundTask(function=function, args=args))
        db.session.commit()
        db.session.remove()
        upgrade()
        return db.session.execute(select(BackgroundTask.function)).scalar()


def test_tasks_queued_before_the_job_move_name_their_job_after_it(app):
    """A task row written by the old code (app.jobs.* paths) names the same job after the
    upgrade, so it still runs and its screens still find it."""
    from app.queue import JOBS
    stored = task_after_upgrade(app, "858ded5b5f7c", "app.jobs.consolidation.sync_all", "[1]")
    assert stored == "app.services.consolidation.sync_all_job"
    assert stored in JOBS


def test_a_service_pull_queued_before_the_rename_names_its_job_after_it(app):
    """A pull queued by the code before issue 12 named service pulls as pulls
    (app.services.service_sync) runs after the upgrade, and the screen's "already queued
    or running?" guard still finds it."""
    from app.queue import JOBS
    stored = task_after_upgrade(app, "d5e8f1a2b3c4", "app.services.service_sync.sync_service_job",
                                '[1, "master_data"]')
    assert stored == "app.services.service_pull.pull_service_job"
    assert stored in JOBS
