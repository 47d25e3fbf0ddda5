"""The client's address for the API's limits and whitelists: the same rule as the
sign-in pages' limits, which live in accounts (it imports no other app)."""

from accounts.client_ip import client_ip

__all__ = ["client_ip"]
