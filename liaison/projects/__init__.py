"""Key projects (重点项目), their liaison officers' terms and their visits: the centre the later
domains (hazards, recoveries, disputes, the desk) hang their records on. models.py, service.py
(the only writer, the ledger import included), queries.py (the list and its filters), sheet.py
(the ledger's 重点项目 sheet, and the query the sheets of a project's records share),
timeline.py (a project's history, with the sources wiring.py lists). liaison/pages/projects.py
shows them: the list, the file with the panels other domains add, assignment and visits."""
