"""The ledger workbook's contract (PRODUCT.md, Contracts 1): its eight sheets in order. Each
sheet is its domain's (`liaison/<domain>/sheet.py`: the columns, the export's rows, the import's
check and save); how a cell is read is liaison.sheets'."""

from liaison.desk.sheet import REQUESTS
from liaison.disputes.sheet import DISPUTES
from liaison.enterprises.sheet import ENTERPRISES
from liaison.hazards.sheet import HAZARDS
from liaison.org.sheet import OFFICERS, STATIONS
from liaison.projects.sheet import PROJECTS
from liaison.recoveries.sheet import RECOVERIES
from liaison.sheets import Sheet

SHEETS: list[Sheet] = [
    STATIONS,
    OFFICERS,
    ENTERPRISES,
    PROJECTS,
    HAZARDS,
    DISPUTES,
    RECOVERIES,
    REQUESTS,
]
BY_NAME = {sheet.name: sheet for sheet in SHEETS}
