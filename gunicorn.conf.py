"""Gunicorn settings for the consent service (issue #10):

    gunicorn -c gunicorn.conf.py "consent_server:create_app()"

Options on the command line win (``-b 0.0.0.0:8000``, ``-w 8``, ``--threads 16``);
``WEB_CONCURRENCY`` sets the number of workers.
"""

import multiprocessing
import os
import sys

# Threads, not sync workers: a request waiting on the database (at most
# CONSENT_DB_TIMEOUT per wait) holds one thread while the others keep answering
# what needs no database (banner.js, the notice, verify, /healthz). With sync
# workers a stalled database held every worker and everything waited.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, multiprocessing.cpu_count()))
threads = 8
# A worker takes connections only up to this many (its threads, plus as many kept
# alive or queued): one whose threads all wait on the database soon stops
# accepting, and new connections go to the workers with free threads.
worker_connections = 2 * threads

# Timeouts. Gthread workers report from their main thread, so `timeout` restarts a
# stuck worker, not a slow request: CONSENT_DB_TIMEOUT and the Redis socket
# timeouts bound those.
timeout = 30
graceful_timeout = 20
keepalive = 2

# Requests are small: a decision body is at most 16 KiB (MAX_CONTENT_LENGTH) and no
# URL or header of this API comes near these limits.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# Access log on stdout, errors and the service's own records on stderr. The client
# appears as its network (IPv4 /24, IPv6 /48), never its address, and paths
# without subject ids or query strings (consent_server/access_log.py).
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
logger_class = "consent_server.access_log.AccessLogger"

# Gunicorn 25.1+ opens a control socket at one path per user: two instances on a
# host would share it, and nothing here uses it.
control_socket_disable = True

# Heartbeat files in memory where there is such a place: a slow disk must not make
# a busy worker look dead.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"


# The transparency log is sealed by a process of its own beside the workers
# (`consent log seal --every`, consent_server/log_sealer.py): a seal in a worker's
# thread would share that worker's interpreter lock with its requests. It loads
# the app the workers load; they, forked after this hook, leave sealing to it. A
# thread of the master starts it again if it dies (log_sealer_process.py).
# With --preload the app has read its settings before this hook: then each worker
# seals in a thread of its own, as under any other server.
_sealer = None


def when_ready(server):
    global _sealer
    interval = os.environ.get("CONSENT_LOG_SEAL_INTERVAL", "60")
    try:
        seconds = float(interval)
    except ValueError:
        return  # the app refuses to start with the setting's own error
    if seconds <= 0 or server.cfg.preload_app:
        return
    from consent_server.log_sealer_process import SealerProcess

    _sealer = SealerProcess(
        [sys.executable, "-m", "flask", "--app", server.app.app_uri]
        + ["consent", "log", "seal", "--every", interval],
        server.log,
    )
    _sealer.start()
    server.log.info("Log sealer started (pid %s), every %s s", _sealer.pid, interval)
    os.environ["CONSENT_LOG_SEAL_INTERVAL"] = "0"


def on_exit(server):
    if _sealer is not None:
        _sealer.stop(timeout=graceful_timeout)
