"""The commit rule: services and jobs own their transaction; views, API and CLI never
call commit(). A service function marked @owns_transaction commits what it did when it
returns, and rolls all of it back when it raises (the caller then shows the error).

Services compose: a marked service called from another (the demo data adds
organizations, users, templates) joins the outer one's transaction, so the whole use
case commits once or not at all."""
import functools
from typing import Callable, TypeVar

from app.extensions import db

Service = TypeVar("Service", bound=Callable)
_DEPTH = "muara_service_depth"  # in session.info: how many marked services are running


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
