"""The ledger workbook (台账, PRODUCT.md Contracts 1): it only conducts. schema.py holds the
domains' eight sheets in the workbook's order; importer.py reads a file and has each sheet check
and then save its rows through its service, all or nothing; exporter.py writes the workbook or
the CSV zip from each sheet's rows; service.py runs an upload as a job (its page is
liaison/pages/ledger.py)."""
