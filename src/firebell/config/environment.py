"""What a tree needs from the environment it is applied in: the integration keys named by key_env, and
the single sign-on client's id and secret (sign_in.oidc's client_id_env and client_secret_env).

`config validate`, `config apply` and `serve --config` check them while loading, so a missing or
malformed variable is reported at the key_env line that names it, like any other mistake; `config
plan` reads them apart (plan.py) and only warns, so that a plan can be made where the secrets are not.
"""

from __future__ import annotations

from collections.abc import Mapping

from firebell.config.errors import ConfigError
from firebell.config.located import Located
from firebell.config.schema import INTEGRATION_KEY, Config


def key_env_problem(variable: str, env: Mapping[str, str], integration: str) -> str | None:
    """Why `variable` cannot give `integration` ("service/name") its key, or None."""
    value = env.get(variable, "")
    if not value.strip():
        state = "is empty" if variable in env else "is not set"
        return f"environment variable {variable} {state}; integration {integration} reads its key from it (key_env)"
    if not INTEGRATION_KEY.match(value):
        return (f"environment variable {variable} does not hold a valid key for integration {integration}; "
                "a key is 16 to 128 letters, digits, '-' and '_'")
    return None


def check_environment(config: Config, tree: Located, env: Mapping[str, str]) -> list[ConfigError]:
    """Located errors for key_env variables missing from `env` or holding no valid key. `tree` is the
    one `config` was validated from: its lists are in the same order."""
    errors = []
    for s, service in enumerate(config.services):
        for i, integration in enumerate(service.integrations):
            if integration.key_env is None:
                continue
            problem = key_env_problem(integration.key_env, env, f"{service.name}/{integration.name}")
            if problem is not None:
                errors.append(tree.mark(("services", s, "integrations", i, "key_env")).error(problem))
    oidc = config.sign_in.oidc
    if oidc is not None:
        for field, what in (("client_id_env", "client id"), ("client_secret_env", "client secret")):
            variable = getattr(oidc, field)
            if not env.get(variable, "").strip():
                state = "is empty" if variable in env else "is not set"
                errors.append(tree.mark(("sign_in", "oidc", field)).error(
                    f"environment variable {variable} {state}; single sign-on reads its {what} from it ({field})"))
    return errors
