"""The one error a domain's rule raises: a message in Chinese for the person, and the field it
belongs beside (None: the form as a whole). Each domain names its own subclass, so a caller
catches only the refusals of the service it called."""


class FieldError(ValueError):
    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
