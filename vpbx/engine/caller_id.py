"""Outgoing external calls: which number the other side sees (SPEC F6.2). Pure logic."""
from collections.abc import Iterable

from vpbx.model.tenant import PresentationRule, Tenant


def presented_number(tenant_config: Tenant, caller_extension: str | None,
                     rules: Iterable[PresentationRule] = ()) -> str | None:
    """The number an external call of this user shows: a presentation rule's number if one
    names the user, else the user's direct number, else the tenant's main (first) global
    number; None if the tenant owns no number at all. The phone never chooses it."""
    for rule in rules:
        if caller_extension in rule.users:
            return rule.number
    user = next((u for u in tenant_config.users or [] if u.extension == caller_extension), None)
    if user is not None and user.direct_number:
        return user.direct_number
    numbers = tenant_config.numbers or []
    return numbers[0].number if numbers else None
