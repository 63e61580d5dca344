"""The pipeline's structure: every declared module kind has its runner, services own
their transaction (nested ones join it), and the "already running?" check of service
pulls reads the task's arguments as data."""
import json

import pytest
from sqlalchemy import select

from app.errors import MuaraError
from app.extensions import db
from app.importing.modules import MODULES, XML_MODULES
from app.importing.pipeline import RUNNERS
from app.models import Organization
from app.models.tasks import BackgroundTask, TaskStatus
from app.queue import job_path
from app.services.directory import add_integration, add_org
from app.services.service_pull import pull_service_job, waiting_pulls
from app.services.transaction import owns_transaction


def test_every_declared_module_has_a_runner_for_its_kind(monkeypatch):
    declared = list(MODULES.values()) + list(XML_MODULES.values())
    assert {m.kind for m in declared} == set(RUNNERS)
    # Customer returns run through their own job, loaded only when a returns file runs.
    import app.importing.returns.job as returns_job
    calls = []
    monkeypatch.setattr(returns_job, "import_returns", lambda *args: calls.append(args))
    arguments = ("session", "import", XML_MODULES["customer_returns"], "path", "settings")
    RUNNERS[XML_MODULES["customer_returns"].kind](*arguments)
    assert calls == [arguments]


def _org_codes():
    return set(db.session.execute(select(Organization.code)).scalars())


def test_a_marked_service_commits_what_it_did(app):
    with app.app_context():
        add_org("T1", "T1 name", "distributor")
        db.session.rollback()  # nothing left to roll back: the service committed
        assert "T1" in _org_codes()


def test_nested_services_join_the_outer_transaction_and_roll_back_with_it(app):
    @owns_transaction
    def two_organizations_then_a_fault():
        add_org("T2", "T2 name", "distributor")
        add_org("T3", "T3 name", "principal")
        raise MuaraError("stopped half-way")

    with app.app_context():
        with pytest.raises(MuaraError, match="stopped half-way"):
            two_organizations_then_a_fault()
        assert not {"T2", "T3"} & _org_codes()


def _queued_pull(integration_id, args_text):
    db.session.add(BackgroundTask(function=job_path(pull_service_job), args=args_text,
                                  status=TaskStatus.queued))
    db.session.commit()


def test_a_waiting_pull_is_found_by_its_arguments_not_their_spelling(app, world):
    world.org("DIST1")
    with app.app_context():
        mine = add_integration("DIST1", "Accurate", "accurate")
        other = add_integration("DIST1", "Accurate 2", "accurate")
        assert waiting_pulls(mine) == []
        # Another integration's pull does not block this one ...
        _queued_pull(other.id, json.dumps([other.id, "transaction"]))
        assert waiting_pulls(mine) == []
        # ... and this one's is found however its JSON is spaced.
        _queued_pull(mine.id, f'[{mine.id},"master_data"]')
        assert waiting_pulls(mine) == ["Sync Master Data"]
        assert waiting_pulls(other) == ["Sync Transaction"]
