"""The scheduler process: ``python -m scheduler``.

Exactly one runs beside the web app; it is never started inside the web app or its workers
(each worker would run every job again). It builds the app, and each job runs a service of
contracts_app inside an app context.
"""
