"""Stations (派出所) and their officers. The lowest domain: logins hang on officers, and every
other domain builds on it. models.py the tables; service.py the only writer (its guards, filled
by liaison/wiring.py, let later domains refuse an officer's move); queries.py the choices a
login may pick; sheet.py the ledger's 派出所 and 民警 sheets. The admin pages are
liaison/pages/org.py."""
