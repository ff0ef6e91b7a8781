"""``scripts/cluster``: a production-shaped Airflow 3 deployment on this machine, and a check of the provider in it.

Not part of the runtime package nor of CI. ``deployment`` starts and stops the services (a private PostgreSQL
cluster, Redis, the sandbox, the Airflow components, two Celery workers), each on 127.0.0.1 with a pid file
under ``.cluster/``; ``checks`` and ``browser`` are the checks, one function each; ``__main__`` runs them and
prints the table. See docs/deployment.md.
"""
