"""Sweeps on Dask: the cluster a server (or the CLI) uses, and the runner that cuts a sweep's
jobs into tasks, submits them and puts results back into cells as they complete.

Kept free of web imports: workers import `app.sweep.tasks` to run tasks.
"""
