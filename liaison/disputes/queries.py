"""The dispute list: one filter and one query for the page, its xlsx export and the API."""

from typing import Any

from pydantic import Field
from sqlmodel import col

from liaison.disputes.models import Dispute
from liaison.listing import ListFilter, OptionalDay, OptionalId, matching
from liaison.projects.queries import work_list_query
from liaison.scope import Scope, restrict


class DisputeFilter(ListFilter):
    status: str = ""
    type: str = ""
    station_id: OptionalId = Field(None, alias="station")
    officer_id: OptionalId = Field(None, alias="officer", description="承办民警")
    project_id: OptionalId = Field(None, alias="project")
    since: OptionalDay = Field(None, description="受理日期起（含）")
    until: OptionalDay = Field(None, description="受理日期止（含）")


def dispute_list_query(scope: Scope, filters: DisputeFilter) -> Any:
    """(dispute, project name, station name, handler name) rows, newest received first."""
    query = matching(
        # The cases' own rule on top of their projects' (Dispute.visible_to: no enterprise).
        restrict(work_list_query(Dispute, Dispute.handler_id, scope, filters), Dispute, scope),
        (filters.status, col(Dispute.status)),
        (filters.type, col(Dispute.type)),
    )
    if filters.since:
        query = query.where(col(Dispute.received_on) >= filters.since)
    if filters.until:
        query = query.where(col(Dispute.received_on) <= filters.until)
    return query.order_by(col(Dispute.received_on).desc(), col(Dispute.id).desc())
