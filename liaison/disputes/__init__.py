"""Mediation cases (纠纷): 调解中 → 调解成功 / 调解失败 / 已移交, the agreement, its performance and
the 司法确认 clock. Builds on recoveries (a case mediated with money books its entry in the same
step). service.py the only writer; queries.py the list; sheet.py the ledger's 纠纷 sheet. The
pages and the agreement for print are liaison/pages/disputes.py."""
