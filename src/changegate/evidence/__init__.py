"""SOC 2 evidence: the populations an auditor samples, the exceptions, and the pack.

Everything here reads the ledger (filtered by action and time in SQL) and git;
nothing decides whether a change may pass. The dashboard reuses the
population functions, the CLI writes them into a pack with ``audit export``.
"""
