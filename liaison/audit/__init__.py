"""The audit log: every change of data, who, when, before and after, in a hash chain
(chain.py), written by the ORM hooks of service.py; retention.py, export.py and cli.py keep,
export and verify it; web.py the auditor's pages. The lowest domain: every other one writes
through it."""
