"""A record's fields, declared once in its domain's schemas.py: each field's label (`title`), its
length, its choices and whether it is required. A form page's fields and a ledger sheet's
columns (liaison/sheets.py `column`) are read from there, so a label or a length is never typed
a second time and never drifts from the table's own column."""

import re
import types
from enum import StrEnum
from typing import Any, Union, get_args, get_origin

from annotated_types import MaxLen, MinLen
from pydantic import AfterValidator, BaseModel
from pydantic.fields import FieldInfo

# Texts longer than this get a text area on a form.
TEXTAREA_FROM = 256


def _info(model: type[BaseModel], name: str) -> FieldInfo:
    return model.model_fields[name]


def _bare(annotation: Any) -> Any:
    """`X | None` as X: what a field holds when it holds something."""
    if get_origin(annotation) in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def blank_is_none(value: Any) -> Any:
    """A blank input (a form's untouched number or date) as None; a schema's fields take it as
    their `mode="before"` validator."""
    return None if value == "" else value


def matching(pattern: str, message: str) -> AfterValidator:
    """A text field blank or matching `pattern`, else refused with `message`, the Chinese the
    form shows beside it (a bare `pattern=` can only say 格式不正确)."""

    def check(value: str) -> str:
        if value and not re.fullmatch(pattern, value):
            raise ValueError(message)
        return value

    return AfterValidator(check)


def label(model: type[BaseModel], name: str) -> str:
    return _info(model, name).title or name


def max_length(model: type[BaseModel], name: str) -> int | None:
    return next((m.max_length for m in _info(model, name).metadata if isinstance(m, MaxLen)), None)


def required(model: type[BaseModel], name: str) -> bool:
    """Required on the form: no default, or a text that may not be blank."""
    info = _info(model, name)
    min_length = next((m.min_length for m in info.metadata if isinstance(m, MinLen)), 0)
    return info.is_required() or min_length > 0


def choices(model: type[BaseModel], name: str) -> type[StrEnum] | None:
    kind = _bare(_info(model, name).annotation)
    return kind if isinstance(kind, type) and issubclass(kind, StrEnum) else None


def kind(model: type[BaseModel], name: str) -> type:
    """What the field holds (str, int, date, an enumeration…), None allowed or not."""
    bare = _bare(_info(model, name).annotation)
    return bare if isinstance(bare, type) else object


def form_field(model: type[BaseModel], name: str, /, **spec: Any) -> dict[str, Any]:
    """The spec of a form field (templates/generic/form.html) as `model` declares it: its
    label, required or not, a select of its choices, a number or a text area by its kind and
    length; `spec` adds a hint or names what the declaration cannot know (a tel input, options
    read from the database, another `name` the form posts it as)."""
    field: dict[str, Any] = {
        "name": name,
        "label": label(model, name),
        "required": required(model, name),
        "maxlength": max_length(model, name),
    }
    enumeration = choices(model, name)
    length = field["maxlength"]
    if enumeration is not None:
        field.update(type="select", options=[(v.value, v.value) for v in enumeration])
    elif kind(model, name) is int:
        field["type"] = "number"
    elif length is not None and length >= TEXTAREA_FROM:
        field["type"] = "textarea"
    return {**field, **spec}
