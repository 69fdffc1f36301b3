"""Logins, sessions, second factors and the permission policy. Builds on org and enterprises
(a login may be an officer or an enterprise contact). roles.py the roles; policy.py the one table
of named actions with their roles and object rules (`can`, `require`), printed at /admin/policy;
permissions.py works out a login's scope (the checks that apply it are liaison/scope.py's);
deps.py the FastAPI dependencies; service.py, second_factor.py and throttle.py the only writers
of their tables. The login, user, second-factor and policy pages are in liaison/pages/."""
