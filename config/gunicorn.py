"""gunicorn settings for serving the portal: `gunicorn -c config/gunicorn.py`.

BIND and WEB_CONCURRENCY (the number of worker processes) come from the
environment. Static files are served by WhiteNoise inside each worker.
"""

import multiprocessing
import os

wsgi_app = "config.wsgi:application"
bind = os.environ.get("BIND", "127.0.0.1:8000")
# Two workers per core plus one, gunicorn's own suggestion for sync workers.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 20
# Restart workers now and then so that no slow leak grows without bound.
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
# Trust X-Forwarded-* headers only from these proxy addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 25 and later open a control socket at one path per user
# (~/.gunicorn/gunicorn.ctl), which a second server on the machine would take
# over from the first. The portal uses no gunicornc command.
control_socket_disable = True
