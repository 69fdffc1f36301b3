"""Business-environment metrics (营商环境指标): the figures in SQL (service.py, sql.py), cached
(cache.py), the dashboard's panels (dashboard.py), the records behind each figure (records.py);
the dashboard and the monthly brief are liaison/pages/metrics.py. Reads every domain; writes
nothing but its cache."""
