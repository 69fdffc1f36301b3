"""Notifications: what the system tells people without being asked.

A change that concerns someone (a request routed to them, a hazard waiting for their review, a
deadline near or passed) writes a `Notification` for each person in the same transaction as the
change, and a `Delivery` for each outside channel they chose (email, SMS, a station's duty
group robot). Nothing is sent for a change that rolled back, nothing is lost for one that
committed: the job engine (liaison/jobs.py) sends deliveries after the commit and retries them.

- kinds.py: every kind of notification, its Chinese title and who may silence it;
- models.py: the notifications, deliveries, reminders (once per record and threshold) and each
  user's channel settings;
- service.py: `notify()`, the one way a notification is made, and reading/marking them;
- routing.py: who is on duty for a project today (the main officer, the backup, the duty desk).
"""
