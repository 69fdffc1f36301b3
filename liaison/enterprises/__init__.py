"""Enterprises (企业) and their contacts, checked by their credit code (uscc.py). Imports no
other domain. models.py the tables; service.py the only writer; sheet.py the ledger's 企业 sheet.
The pages, where an enterprise's projects are listed too, are liaison/pages/enterprises.py."""
