"""What the review, merge and link services refuse, in words a person can act on."""
from __future__ import annotations


class IdentityError(ValueError):
    """A request that cannot be done as asked (``str(exc)`` says where and why)."""


class ClientNotFound(IdentityError):
    """A client id that names no client."""


class MergeConflict(IdentityError):
    """Someone else changed these clients first (a concurrent merge, a later edit): reload and decide again."""
