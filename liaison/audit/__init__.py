"""The audit log: every change of data, who, when, before and after, in a hash chain
(chain.py), written by the ORM hooks of service.py; retention.py and export.py keep and export
it (`liaison audit` is liaison/commands/audit.py, the auditor's pages liaison/pages/audit.py).
The lowest domain: every other one writes through it."""
