"""Where a dialled string goes: pure decision logic, no KSR, no database (a lookup is passed in).

Used by vpbx.engine.decision (the live KEMI routing, `vpbx simulate`, the UI's preview) and by
kemi/ringing.py for a phone's own call forwarding.
"""
from dataclasses import dataclass

from vpbx.model.numbers import external_form, international_form, is_extension


@dataclass(frozen=True)
class CallTarget:
    """The decision for one call: ring a user's phones, follow a global number's plan, go
    out through the carrier, or refuse with a SIP code."""
    decision: str                 # how the target was found, or why the call is refused
    user: object | None = None    # the store's User to ring
    code: int | None = None       # SIP reply when refused
    reason: str | None = None
    number: str | None = None     # E.164: a global number (number_tenant set) or external
    number_tenant: object | None = None

    @property
    def refused(self) -> bool:
        return self.code is not None

    @property
    def external(self) -> bool:
        return self.number is not None and self.number_tenant is None and self.user is None


def resolve_user_call(lookup, tenant, dialled: str) -> CallTarget:
    """A call from a phone of `tenant` to `dialled`.

    An extension is looked up in the caller's own tenant only (a phone of tenant A dialling
    an extension of tenant B reaches nobody of B). Any other number is read as an external
    number (with the tenant's access code when it is on) and normalised to E.164; one that
    belongs to the platform — a global number or a user's direct number, of any tenant —
    stays on the platform (on-net, F1.4); the others go out through the carrier.
    """
    if dialled.startswith("##"):                     # the company directory's short codes
        number = lookup.contact_number(tenant.id, dialled[2:])
        if number is None:
            return CallTarget("unknown_directory_code", code=404, reason="Not Found")
        return resolve_number(lookup, tenant, number)
    if is_extension(dialled):
        user = lookup.user_by_extension(tenant.id, dialled)
        if user is not None:
            return CallTarget("extension", user=user)
        if not dialled.startswith("0"):
            return CallTarget("unknown_extension", code=404, reason="Not Found")
    number = external_form(dialled, access_code=tenant.access_code)
    if number is None:
        return CallTarget("invalid_number", code=484, reason="Address Incomplete")
    return resolve_number(lookup, tenant, number)


def resolve_number(lookup, tenant, number: str) -> CallTarget:
    """A call from a phone of `tenant` to the E.164 `number`: on-net when the platform owns
    it (a global number or a user's direct number), else out through the carrier."""
    owner = lookup.tenant_by_global_number(number)
    if owner is not None:
        return CallTarget("global_number" if owner.id == tenant.id else "on_net_number",
                          number=number, number_tenant=owner)
    user = lookup.user_by_direct_number(number)
    if user is not None:
        return CallTarget("direct_number" if user.tenant_id == tenant.id else "on_net", user=user)
    return CallTarget("external", number=number)


def resolve_carrier_call(lookup, dialled: str) -> CallTarget:
    """A call from the carrier's trunk to one of the platform's numbers."""
    number = international_form(dialled)
    if number is None:
        return CallTarget("invalid_number", code=404, reason="Not Found")
    user = lookup.user_by_direct_number(number)
    if user is None:
        return CallTarget("unknown_number", code=404, reason="Not Found")
    return CallTarget("direct_number", user=user)
