"""Access control (DESIGN.md "Access and roles"): tokens, roles as data, one gate per service.

- callers.py — roles and the verified caller (claims `sub`, `name`, `roles`, `municipalities`, `provider`)
- rules.py — every route of every service with the roles that may call it (deny by default)
- gate.py — the ASGI middleware applying the rules; `access_of(request)` in a route
- verification.py — PyJWT against the OIDC issuer's JWKS, or the development key
- development.py — the development issuer (key under the data dir)
- control.py — all of it wired from settings, plus the service's own `system` token for peers
"""

from klachtstroom.platform.auth.callers import Caller, Role
from klachtstroom.platform.auth.gate import Access, access_of, optional_access

__all__ = ["Access", "Caller", "Role", "access_of", "optional_access"]
