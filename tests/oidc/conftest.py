from tests.oidc.provider import provider

__all__ = ["provider"]  # the fixture, for this folder's tests
