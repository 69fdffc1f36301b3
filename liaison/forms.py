"""Form validation at the edge: pydantic models in, Chinese messages per field out."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import FormData

T = TypeVar("T", bound=BaseModel)


@dataclass
class Filled:
    """A form as it goes back to the user: what they typed (shown again, never lost) and what is
    wrong with it, by field. The two always travel together, from the route that checked the
    form to the page that shows it."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def named(self, form: str) -> "Filled":
        """The same, for one of several forms on a page, whose fields it names `{form}_{field}`."""
        return Filled(
            {f"{form}_{k}": v for k, v in self.values.items()},
            {f"{form}_{k}": v for k, v in self.errors.items()},
        )


async def posted_form(request: Request) -> FormData:
    """The POSTed form, read here on the event loop (reading a body is async), so that the
    route that takes it is a plain `def`, which FastAPI runs in a worker thread. A route must
    not be `async` to read its form: its database work would then run on the loop, and one
    wait for SQLite's write lock (an import holds it) held every other request, /healthz too."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(posted_form)]


def _message(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in ("missing", "string_too_short") and ctx.get("min_length", 1) <= 1:
        return "此项必填"
    if kind == "string_too_short":
        return f"至少 {ctx['min_length']} 个字符"
    if kind == "string_too_long":
        return f"最多 {ctx['max_length']} 个字符"
    if kind == "string_pattern_mismatch":
        return "格式不正确"
    if kind in ("enum", "literal_error"):
        return "请从列表中选择"
    if kind == "greater_than_equal":
        return f"不能小于 {ctx['ge']}"
    if kind == "less_than_equal":
        return f"不能大于 {ctx['le']}"
    if kind.startswith("date"):  # date_parsing, date_from_datetime_parsing, datetime_…
        return "此项必填" if error.get("input") in ("", None) else "请填写有效日期（YYYY-MM-DD）"
    if kind.startswith("int_") or kind.startswith("float_"):
        return "请填写数字"
    if kind == "value_error":
        return str(ctx.get("error", error.get("msg", "")))
    return "填写有误"


def validate(model: type[T], data: Mapping[str, Any]) -> tuple[T | None, dict[str, str]]:
    """The parsed form, or None and one message per field. Fields the model does not declare
    are ignored, so a crafted form cannot set what the page does not offer."""
    cleaned = {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
    for name, info in model.model_fields.items():
        if info.annotation is bool and cleaned.get(name) == "":
            cleaned[name] = False  # an unticked box some clients still send
    try:
        return model.model_validate(cleaned), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "__all__"
            errors.setdefault(field, _message(error))
        return None, errors


@contextmanager
def refusals(
    session: Session, errors: dict[str, str], field: str, *kinds: type[Exception]
) -> Iterator[None]:
    """A service's refusal (one of `kinds`) rolls the session back and becomes the message
    beside the field it names (`field` if it names none), so the page shows its form again."""
    try:
        yield
    except kinds as exc:
        session.rollback()
        errors[getattr(exc, "field", None) or field] = str(exc)
