"""The request desk (接诉即办): the public form and tracking, routing to a project's officer,
the handling steps, service levels on the working calendar (sla.py) and the citizen's rating.
Builds on projects. service.py the only writer; queries.py the inbox; retention.py what is kept
how long; sheet.py the ledger's 诉求 sheet. Its pages: liaison/pages/public.py (the public
form, tracking, rating), requests.py (the staff's), posters.py and desk_settings.py."""
