"""The header status (given, or following the details) and autoRelease."""
from app.importing.returns.elements import Found, Log, Op, first
from app.models.returns import ReturnStatus


class StatusRules:
    """Planning the header status and the automatic release."""

    def plan_status(self, found: Found, base: str, log: Log, ops: list[Op],
                    auto_release: bool) -> None:
        status_node, status_path = first(found, "status")
        status = self.status(status_node, status_path, log) if status_node is not None else None

        def finish(state):
            ret = state["ret"]
            if ret.details:
                if status is not None:
                    log.info(status_path, "status", status_node.text, "ignored",
                             "The customer return has details: its status follows them, the "
                             "header status is ignored.")
                active = {d.status for d in ret.details if not d.canceled}
                if len(active) == 1:
                    final = active.pop()
                elif active:
                    final = ReturnStatus.in_preparation
                else:
                    final = state["previous"]
            else:
                final = status or state["previous"]
            if auto_release:
                final = ReturnStatus.released
                for detail in ret.details:
                    if not detail.canceled:
                        detail.status = ReturnStatus.released
                log.info(f"{base}/autoRelease", "autoRelease", "true", "released",
                         f"Customer return {ret.type.code} {ret.number} was released "
                         "automatically after an error-free import.")
            if final == ReturnStatus.invalid:
                final = ReturnStatus.in_preparation
            ret.status = final
            if not state.get("bulk"):
                self.session.flush()  # a new return is written with its batch
        ops.append(finish)
