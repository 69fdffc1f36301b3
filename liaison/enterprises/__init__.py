"""Enterprises (企业) and their contacts, checked by their credit code (uscc.py). Builds on org.
models.py the tables; service.py the only writer; sheet.py the ledger's 企业 sheet; web.py the
pages, where an enterprise's projects are listed too."""
