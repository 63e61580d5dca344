"""Info texts and text assignments of a return, a detail or a sub-detail."""
from sqlalchemy import func, select

from app.importing.returns.bulk import NewAssignment, NewAssignmentText, NewInfoText
from app.importing.returns.elements import (
    ASSIGNMENT_ELEMENTS,
    INFO_TEXT_ELEMENTS,
    Found,
    Log,
    Op,
    first,
    read_elements,
)
from app.importing.returns.reading import Node
from app.models import ReturnInfoText, ReturnTextAssignment, ReturnTextAssignmentText


class TextRules:
    """Planning the info texts and text assignments of a return or a detail."""

    def plan_texts(self, found: Found, base: str, log: Log, ops: list[Op],
                   detail_key: dict | None, sub_key: dict | None = None) -> None:
        for node, path in found.get("InfoTexts", ()):
            text = self.read_text(node, path, log, INFO_TEXT_ELEMENTS)
            if text is None:
                continue

            def write_info(state, text=text):
                if state.get("bulk"):
                    self._new_info_text(state, detail_key, sub_key, text)
                    return
                owner = self._owner(state, detail_key, sub_key)
                written = state.setdefault("texts", {})
                row = written.get((owner, text[0]))
                if row is None and not state["created"]:
                    row = self.session.execute(select(ReturnInfoText).where(
                        *self._owner_filter(ReturnInfoText, owner),
                        ReturnInfoText.language == text[0])).scalar()
                if row is None:
                    row = ReturnInfoText(return_id=owner[0], detail_id=owner[1],
                                         sub_detail_id=owner[2], language=text[0])
                    self.session.add(row)
                written[(owner, text[0])] = row
                row.text, row.content_type = text[1], text[2]
                self.session.flush()
            ops.append(write_info)
        seen = set()
        for node, path in found.get("TextAssignments", ()):
            parts = read_elements(node, ASSIGNMENT_ELEMENTS, path, log)
            number_node, number_path = first(parts, "number")
            number = None
            if number_node is not None:
                number = self.integer(number_node, number_path, log, "Text line number")
                if number is None:
                    continue
            if number is not None and number in seen:
                log.warning(number_path, "number", str(number), "duplicate_text_number",
                            f"Text line number {number} is given twice: only one entry is "
                            "kept (the last one).")
            seen.add(number)
            values = {}
            for name in ("type", "code", "document"):
                value_node, _ = first(parts, name)
                values[name] = value_node.text if value_node is not None and value_node.text \
                    else None
            texts = []
            for text_node, text_path in parts.get("text", ()):
                text = self.read_text(text_node, text_path, log, INFO_TEXT_ELEMENTS)
                if text is not None:
                    texts.append(text)
            if values["code"] and texts:
                log.info(path, "text", None, "ignored",
                         f"Text module {values['code']} is given: the texts of the "
                         "assignment are ignored.")
                texts = []

            def write_assignment(state, number=number, values=values, texts=texts):
                if state.get("bulk"):
                    self._new_assignment(state, detail_key, sub_key, number, values, texts)
                    return
                owner = self._owner(state, detail_key, sub_key)
                filters = self._owner_filter(ReturnTextAssignment, owner)
                row = None
                if number is not None:
                    row = self.session.execute(select(ReturnTextAssignment).where(
                        *filters, ReturnTextAssignment.number == number)).scalar()
                else:
                    highest = self.session.execute(select(func.max(ReturnTextAssignment.number))
                                                   .where(*filters)).scalar()
                    number = (highest or 0) + 1
                if row is None:
                    row = ReturnTextAssignment(return_id=owner[0], detail_id=owner[1],
                                               sub_detail_id=owner[2], number=number)
                    self.session.add(row)
                row.type, row.code, row.document = values["type"], values["code"], \
                    values["document"]
                by_language = {t.language: t for t in row.texts}
                for language, text, content_type in texts:
                    line = by_language.get(language)
                    if line is None:
                        line = ReturnTextAssignmentText(language=language)
                        row.texts.append(line)
                        by_language[language] = line
                    line.text, line.content_type = text, content_type
                self.session.flush()
            ops.append(write_assignment)

    def read_text(self, node: Node, path: str, log: Log,
                  known: dict[str, str]) -> tuple[str, str, str] | None:
        """(language, text, content type) of an InfoTexts or text element."""
        parts = read_elements(node, known, path, log)
        language_node, _ = first(parts, "language")
        text_node, _ = first(parts, "text")
        type_node, _ = first(parts, "contentType")
        if language_node is None or not language_node.text:
            log.error(f"{path}/language", "language", None, "required",
                      "A text needs a <language>.")
            return None
        if text_node is None or not text_node.markup:
            log.error(f"{path}/text", "text", None, "required", "A text needs a <text>.")
            return None
        content_type = type_node.text if type_node is not None and type_node.text \
            else "text/plain"
        return language_node.text[:20], text_node.markup, content_type[:60]

    # A return created by this import: its texts are new rows (app.importing.returns.bulk)
    # linked to their owners, written with the batch (no query); the rules are those above.

    def _new_info_text(self, state, detail_key, sub_key, text):
        owner = _owner_objects(state, detail_key, sub_key)
        key = (tuple(map(id, owner)), text[0])
        written = state.setdefault("texts", {})
        row = written.get(key)
        if row is None:
            row = written[key] = NewInfoText(owner=owner, language=text[0])
            self.new_returns.info_texts.append(row)
        row.text, row.content_type = text[1], text[2]

    def _new_assignment(self, state, detail_key, sub_key, number, values, texts):
        owner = _owner_objects(state, detail_key, sub_key)
        owner_key = tuple(map(id, owner))
        assigned = state.setdefault("assignments", {}).setdefault(owner_key, {})
        if number is None:
            number = max(assigned, default=0) + 1
        row = assigned.get(number)
        if row is None:
            row = assigned[number] = NewAssignment(owner=owner, number=number)
            self.new_returns.assignments.append(row)
        row.type, row.code, row.document = values["type"], values["code"], values["document"]
        by_language = {t.language: t for t in row.texts}
        for language, text, content_type in texts:
            line = by_language.get(language)
            if line is None:
                line = by_language[language] = NewAssignmentText(language=language)
                row.texts.append(line)
            line.text, line.content_type = text, content_type

    def _owner(self, state, detail_key, sub_key):
        ret = state["ret"]
        detail = detail_key["detail"] if detail_key else None
        sub = sub_key["sub"] if sub_key else None
        if (detail is not None and detail.id is None) or (sub is not None and sub.id is None):
            self.session.flush()
        return ret.id, detail.id if detail else None, sub.id if sub else None

    @staticmethod
    def _owner_filter(model, owner):
        return [model.return_id == owner[0],
                model.detail_id.is_(None) if owner[1] is None else model.detail_id == owner[1],
                model.sub_detail_id.is_(None) if owner[2] is None
                else model.sub_detail_id == owner[2]]


def _owner_objects(state, detail_key, sub_key):
    """(return, detail, sub-detail) objects a text belongs to (None where it does not)."""
    return (state["ret"], detail_key["detail"] if detail_key else None,
            sub_key["sub"] if sub_key else None)
