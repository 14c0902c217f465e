"""gunicorn's settings, read from the working directory however it is started.

The access log gives the path without its query string: Open311 clients send their api_key in
the query string when fetching, and no key or personal data belongs in a log.
"""

access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss'
