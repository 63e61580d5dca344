"""Migrations alone build the schema, and it matches the models (OPS-3)."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model

from app.extensions import db


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
