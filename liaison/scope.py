"""The part of the business data a login reaches: a leaf module, so that the models' row filters
(`visible_to`) and the object checks of auth/permissions.py can both name it without importing
each other."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """What part of the business data a login reaches. `everything` wins; otherwise a record
    is visible when it belongs to `station_id` (officers, chiefs) or `enterprise_id`
    (enterprise contacts). Leaders and admins reach everything; auditors no business data."""

    everything: bool = False
    station_id: int | None = None
    officer_id: int | None = None
    enterprise_id: int | None = None
