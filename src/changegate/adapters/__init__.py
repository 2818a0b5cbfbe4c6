"""Adapters: every piece of I/O (git, storage, processes, keys, HTTP) lives here."""
