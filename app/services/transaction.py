"""The commit rule: services and jobs own their transaction; views, API and CLI never
commit. An adapter that runs a service which leaves committing to its caller (the
directory's building blocks, which the demo composes) runs it through `in_transaction`."""
from collections.abc import Callable
from typing import Any

from app.extensions import db


def in_transaction(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run `function` as one transaction: committed when it returns, rolled back when it
    raises."""
    try:
        result = function(*args, **kwargs)
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()
    return result
