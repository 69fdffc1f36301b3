"""What a list page's route reads besides its own filters, and what it does with its query.

Every list takes the same `Listing` (its request, session, page number and `?format=`), so a
route's signature says only what is its own: who may look, and which filters it reads."""

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response
from sqlmodel import Session, col

from liaison import downloads, sheets
from liaison.db import Page, SessionDep, paginate
from liaison.listing import PageNumber
from liaison.web import render_list


def workbook(session: Session, sheet: sheets.Sheet, query: Any, id_column: Any) -> Response:
    """Every row `query` lists (all its pages), as a download of `sheet` (`?format=xlsx`)."""
    return downloads.sheet_response(session, sheet, downloads.ids_of(query, col(id_column)))


@dataclass(kw_only=True)
class Listing:
    """A list page's request: one page of its rows, or all of them as a workbook."""

    request: Request
    session: SessionDep
    page: PageNumber = 1
    format: str = ""

    @property
    def wants_workbook(self) -> bool:
        return self.format == "xlsx"

    def rows(self, query: Any) -> Page:
        """The page of `query`'s rows this request asks for."""
        return paginate(self.session, query, page=self.page)

    def render(self, name: str, context: dict[str, Any]) -> Response:
        return render_list(self.request, name, context)


ListingDep = Annotated[Listing, Depends()]
