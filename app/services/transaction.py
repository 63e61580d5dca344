"""The commit rule: services and jobs own their transaction; views, API and CLI never
call commit(). A service function marked @owns_transaction commits what it did when it
returns, and rolls all of it back when it raises (the caller then shows the error); an
adapter runs an unmarked function as one transaction with `in_transaction`.

Services compose: a marked service called from another, or inside `in_transaction` (the
demo data adds organizations, users and templates), joins the outer transaction, so the
whole use case commits once or not at all."""
import functools
from collections.abc import Callable
from typing import Any, TypeVar

from app.extensions import db

Service = TypeVar("Service", bound=Callable)
_DEPTH = "muara_service_depth"  # in session.info: how many transactions are open


def owns_transaction(service: Service) -> Service:
    @functools.wraps(service)
    def committed(*args, **kwargs):
        info = db.session.info
        depth = info.get(_DEPTH, 0)
        info[_DEPTH] = depth + 1
        try:
            result = service(*args, **kwargs)
            if depth == 0:
                db.session.commit()
            return result
        except BaseException:
            if depth == 0:
                db.session.rollback()
            raise
        finally:
            info[_DEPTH] = depth
    return committed


def in_transaction(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `function` as one transaction: committed when it returns, rolled back when it
    raises."""
    return owns_transaction(function)(*args, **kwargs)
