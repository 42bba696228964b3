"""Domain logic shared by the pages, the API, the CLI and the worker.

Services take keyword-only arguments, never import FastAPI, and never commit: the caller
owns the transaction (a request, or `Database.transaction()` in the CLI and worker).
"""
