"""Business-environment metrics (营商环境指标): the figures in SQL (service.py, sql.py), cached
(cache.py), the dashboard and the monthly brief (web.py), the records behind each figure
(records.py). Reads every domain; writes nothing but its cache."""
