"""Where a dialled string goes: pure decision logic, no KSR, no database (a lookup is passed in).

Used by the live KEMI routing and by the unit tests; later by `vpbx simulate` and the UI.
"""
from dataclasses import dataclass

from .numbers import international_form, is_extension


@dataclass(frozen=True)
class CallTarget:
    """The decision for one call: ring a user's phones, or refuse with a SIP code."""
    decision: str                 # how the target was found, or why the call is refused
    user: object | None = None    # the store's User to ring
    code: int | None = None       # SIP reply when refused
    reason: str | None = None

    @property
    def refused(self) -> bool:
        return self.user is None


def resolve_user_call(lookup, tenant, dialled: str) -> CallTarget:
    """A call from a phone of `tenant` to `dialled`.

    An extension is looked up in the caller's own tenant only (a phone of tenant A dialling
    an extension of tenant B reaches nobody of B); a full number (+CC… or 00CC…) reaches the
    platform subscriber who owns it, in any tenant (on-net, F1.4).
    """
    if is_extension(dialled):
        user = lookup.user_by_extension(tenant.id, dialled)
        if user is None:
            return CallTarget("unknown_extension", code=404, reason="Not Found")
        return CallTarget("extension", user=user)
    number = international_form(dialled)
    if number is not None:
        user = lookup.user_by_direct_number(number)
        if user is None:
            return CallTarget("unknown_number", code=404, reason="Not Found")
        return CallTarget("direct_number" if user.tenant_id == tenant.id else "on_net", user=user)
    return CallTarget("invalid_number", code=404, reason="Not Found")


def resolve_carrier_call(lookup, dialled: str) -> CallTarget:
    """A call from the carrier's trunk to one of the platform's numbers."""
    number = international_form(dialled)
    if number is None:
        return CallTarget("invalid_number", code=404, reason="Not Found")
    user = lookup.user_by_direct_number(number)
    if user is None:
        return CallTarget("unknown_number", code=404, reason="Not Found")
    return CallTarget("direct_number", user=user)
