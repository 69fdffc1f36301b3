"""A loss-recovery entry's fields, declared once. `RecoveryBase` holds each field a person or a
ledger row supplies, with its label and length; the table (models.Recovery) inherits it.
`RecoveryIn` is the one validated input of an entry (the form page, a mediated dispute and the
demo produce it, the ledger's 挽回损失 sheet reads its columns from it) and `ReversalIn` the one of
a reversal; `service.record` and `service.reverse` take only them. `RecoveryOut` is an entry as
the API answers it. Amounts are exact fen; the pages type yuan and convert
(liaison/pages/recoveries.py)."""

from datetime import date
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from liaison.projects.schemas import RecordOut


class RecoverySource(StrEnum):
    """来源."""

    FRAUD_REFUND = "电信诈骗返还"
    STOLEN_GOODS = "盗抢追赃"
    DISPUTE = "纠纷化解"
    WAGES = "欠薪追回"
    OTHER = "其他"


NOTE_LENGTH = 1000  # 说明; a reversal's reason is kept there


class RecoveryBase(SQLModel):
    # Kept in fen, typed and shown in yuan. The sign is the entry's kind (an entry is positive, a
    # reversal negative), which the service and a check constraint hold, not the declaration.
    amount_fen: int = Field(sa_type=sa.BigInteger, title="金额(元)")
    # Indexed: the totals and the metrics sum a period by this day (a range scan).
    recovered_on: date = Field(index=True, title="挽回日期")
    source: str = Field(max_length=8, title="来源")
    case_number: str = Field(default="", max_length=64, title="关联编号")
    note: str = Field(default="", max_length=NOTE_LENGTH, title="说明")


class RecoveryIn(RecoveryBase):
    """An entry as it is to be booked, whoever typed it. That the amount is positive and the day
    not after today is the service's check (`service.recovery_problems`), as the ledger's is;
    the dispute or hazard it is linked to is given by id."""

    source: RecoverySource = Field(title="来源")
    dispute_id: int | None = Field(default=None, title="纠纷")
    hazard_id: int | None = Field(default=None, title="隐患")


class ReversalIn(SQLModel):
    """A reversal of an entry as it is to be booked: the amount taken back (positive fen, never
    more than what is left of the entry: the service's check), why, and the day (None: today).
    Its project, source and links are the entry's own."""

    amount_fen: int = Field(title="冲销金额(元)")
    reason: str = Field(min_length=1, max_length=NOTE_LENGTH, title="冲销原因")
    on: date | None = Field(default=None, title="冲销日期")


class RecoveryOut(RecordOut):
    """An entry in the API's answer (GET /api/v1/recoveries), reversals included."""

    amount_fen: int
    recovered_on: date
    source: str
    dispute_id: int | None
    hazard_id: int | None
    case_number: str
    officer_id: int
    reverses_id: int | None
