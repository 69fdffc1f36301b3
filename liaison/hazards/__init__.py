"""Hazards and complex areas (隐患, 复杂区域) and their loop 待整改 → 整改中 → 待复查 → 已销号.
Builds on projects. schemas.py the fields declared once
(HazardBase, the one input HazardIn, the API's HazardOut); service.py the loop's rules and the only
writer; queries.py the list; sheet.py the ledger's 隐患 sheet. liaison/pages/hazards.py the
pages and the panels it adds to the project and home pages."""
