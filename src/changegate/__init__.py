"""changegate: a written change-management policy, enforced and audited."""

__version__ = "0.1.0"
