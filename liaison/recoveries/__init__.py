"""The loss-recovery ledger (挽回损失): entries and their reversals, never changed or deleted.
Builds on projects and hazards. service.py the rules (what an entry or a reversal may be) and the
only writer; queries.py the ledger's filters and totals, shared by the page, its export and the
API; sheet.py the ledger's 挽回损失 sheet. The pages are liaison/pages/recoveries.py."""
