"""The queue in both modes runs the same job code to completion, and the database finds
and re-queues work whose queue entry was lost (OPS-1)."""
import json
import os
import threading

import pytest

from app import create_app
from app.extensions import db
from app.jobs.diagnostics import echo
from app.models.tasks import BackgroundTask, TaskStatus
from app.queue import queue
from tests.factories import drain, needs_redis, worker_process


def task(task_id):
    db.session.expire_all()
    return db.session.get(BackgroundTask, task_id)


def test_embedded_queue_runs_a_job_in_a_worker_thread(app, ctx):
    submitted = queue().submit(echo, "hello")
    assert queue().embedded
    assert task(submitted.id).status == TaskStatus.queued
    drain(app)
    done = task(submitted.id)
    assert done.status == TaskStatus.done
    assert json.loads(done.result)["echo"] == "hello"
    assert done.attempts == 1


def test_a_job_delivered_twice_runs_once(app, ctx):
    submitted = queue().submit(echo, "once")
    queue()._push(submitted.id, "muara-duplicate-delivery")
    drain(app)
    done = task(submitted.id)
    assert done.status == TaskStatus.done and done.attempts == 1


def test_a_task_whose_queue_entry_was_lost_is_requeued_and_runs(app, ctx):
    submitted = queue().submit(echo, "lost")
    queue().rq.empty()  # the queue forgets everything, as a Redis restart would
    assert queue().requeue_lost(grace_seconds=0) == [submitted.id]
    assert queue().requeue_lost(grace_seconds=0) == [], "re-queued twice"
    drain(app)
    assert task(submitted.id).status == TaskStatus.done


def test_waiting_work_inside_the_grace_period_is_left_alone(app, ctx):
    submitted = queue().submit(echo, "young")
    queue().rq.empty()
    assert queue().requeue_lost(grace_seconds=3600) == []
    assert task(submitted.id).status == TaskStatus.queued


def test_a_task_still_on_the_queue_is_not_requeued(app, ctx):
    submitted = queue().submit(echo, "waiting")
    assert queue().requeue_lost(grace_seconds=0) == []
    assert task(submitted.id).rq_job_id == submitted.rq_job_id


def test_a_running_task_whose_worker_died_is_requeued(app, ctx):
    submitted = queue().submit(echo, "orphan")
    queue().rq.empty()
    row = task(submitted.id)
    row.status, row.attempts = TaskStatus.running, 1  # claimed, then the worker died
    db.session.commit()
    assert queue().requeue_lost(grace_seconds=0) == [submitted.id]
    drain(app)
    done = task(submitted.id)
    assert done.status == TaskStatus.done and done.attempts == 2


def test_a_task_lost_too_often_fails_with_a_reason(app, ctx):
    submitted = queue().submit(echo, "cursed")
    queue().rq.empty()
    row = task(submitted.id)
    row.status, row.attempts = TaskStatus.running, 2  # its worker died twice running it
    db.session.commit()
    assert queue().requeue_lost(grace_seconds=0) == []
    failed = task(submitted.id)
    assert failed.status == TaskStatus.failed
    assert "lost 2 times" in failed.error


def test_only_registered_job_functions_can_be_queued(app, ctx):
    with pytest.raises(LookupError, match="not a registered job function: posix.system"):
        queue().submit(os.system, "true")
    assert db.session.query(BackgroundTask).count() == 0


@pytest.mark.parametrize("path", ["os.system", "app.jobs.runner.run_task", "app.no_such.job"])
def test_a_task_row_naming_anything_but_a_registered_job_fails_unrun(app, ctx, path):
    from app.jobs.runner import run_task
    row = BackgroundTask(function=path, args='["true"]', status=TaskStatus.queued)
    db.session.add(row)
    db.session.commit()
    with pytest.raises(LookupError, match="not a registered job function"):
        run_task(row.id)
    assert task(row.id).status == TaskStatus.failed


def test_embedded_background_threads_requeue_on_start(app, database_url, tmp_path):
    """`python run.py` after a crash: the waiting task is found and run at start-up."""
    with app.app_context():
        task_id = queue().submit(echo, "after-restart").id
    restarted = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                            "REDIS_URL": None, "TESTING": True}, start_background=True)
    with restarted.app_context():
        for _ in range(100):
            if task(task_id).status == TaskStatus.done:
                break
            threading.Event().wait(0.1)
        assert task(task_id).status == TaskStatus.done


# --- Redis mode: a real Redis and real worker processes -----------------------------------

@needs_redis
def test_redis_queue_runs_jobs_in_separate_worker_processes(redis_app):
    with redis_app.app_context():
        ids = [queue().submit(echo, n).id for n in range(20)]
    workers = [worker_process(redis_app) for _ in range(2)]
    for proc in workers:
        output, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, output
    with redis_app.app_context():
        rows = [task(i) for i in ids]
        assert [r.status for r in rows] == [TaskStatus.done] * 20
        assert all(r.attempts == 1 for r in rows), "a task ran twice"
        assert {json.loads(r.result)["pid"] for r in rows}.isdisjoint({os.getpid()})
        assert sorted(json.loads(r.result)["echo"] for r in rows) == list(range(20))
        # Below the web processes' priority (MUARA_WORKER_NICE, 10 by default).
        assert {json.loads(r.result)["nice"] for r in rows} == {os.nice(0) + 10}


@needs_redis
def test_redis_worker_requeues_lost_work_on_start(redis_app):
    with redis_app.app_context():
        task_id = queue().submit(echo, "lost-in-redis").id
        queue().rq.empty()
    proc = worker_process(redis_app)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, output
    with redis_app.app_context():
        assert task(task_id).status == TaskStatus.done


@needs_redis
def test_queue_check_command_reports_a_live_worker(redis_app):
    proc = worker_process(redis_app, burst=False)
    try:
        result = redis_app.test_cli_runner().invoke(
            args=["muara", "queue-check", "--timeout", "60"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.output)["result"]["echo"] == "ping"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@needs_redis
def test_queue_check_fails_clearly_without_a_worker(redis_app):
    result = redis_app.test_cli_runner().invoke(args=["muara", "queue-check", "--timeout", "1"])
    assert result.exit_code != 0
    assert "no worker ran task" in result.output


def test_worker_command_refuses_to_run_without_redis(runner):
    result = runner.invoke(args=["muara", "worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output
