"""What the carrier sees of who calls: the number a calling user shows (never what the phone
claims), and for a call the plan forwards to an external number, who forwarded it and why.

A user's external call shows the number the tenant presents for them in From and in the one
P-Asserted-Identity (else it goes out anonymous). A forwarded call also carries a Diversion
header (RFC 5806) with the tenant's number that forwarded it: the number dialled when it is
a global number, else the tenant's main number. An outside caller's own number stays in From.
A forward often starts in the failure route, where uac_replace_from is not allowed, so its
headers are written in a branch route (`branch_forward`) from what `forward` keeps in an AVP.
"""
import KSR

from sip import Worker, pv
from vpbx.engine import caller_id as outgoing
from vpbx.model.numbers import international_form

FORWARD_AVP = "$avp(vpbx_fwd)"     # "caller|caller domain|diverting|domain|reason" of a forward
_ANONYMOUS = "-"                   # a calling user for whom the tenant has no number to show


def drop_contact_display_name():
    """The phone's Contact without the display name it put there (a number it may not
    own): the carrier sees only the identity the platform presents."""
    if pv("$(ct{nameaddr.name})"):
        uri = pv("$(ct{nameaddr.uri})")
        KSR.hdr.remove("Contact")
        KSR.hdr.append("Contact: <%s>\r\n" % uri)


def show_number(presented, domain):
    """From and P-Asserted-Identity of a user's call to the carrier: `presented` (a number the
    tenant owns), or anonymous when it has none."""
    drop_contact_display_name()
    if presented:
        KSR.uac.uac_replace_from("", "sip:%s@%s" % (presented, domain))
        KSR.hdr.append("P-Asserted-Identity: <sip:%s@%s>\r\n" % (presented, domain))
    else:
        KSR.uac.uac_replace_from("Anonymous", "sip:anonymous@anonymous.invalid")
        KSR.hdr.append("Privacy: id\r\n")


def forward(run, reason=None, forwarded_by=None):
    """The plan sends the call (`run`: its FlowRun) to an external number: keep what its
    branch to the carrier must show, and have `branch_forward` write it. `reason`: the
    Diversion reason when the plan's state does not tell it; `forwarded_by`: the extension
    of a user whose phone forwarded the call (the Diversion shows their number)."""
    store = Worker.store
    tenant = store.tenant_by_id(run.tenant_id)
    config = store.tenant_config(tenant)
    if forwarded_by:
        diverting = outgoing.presented_number(config, forwarded_by,
                                              store.presentation_rules(tenant.id))
    else:
        diverting = international_form(run.dialled) or outgoing.presented_number(config, None)
    caller = caller_domain = ""
    if run.caller_party:
        caller_tenant_id, extension = run.caller_party.split(":", 1)
        caller_tenant = store.tenant_by_id(int(caller_tenant_id))
        caller = outgoing.presented_number(store.tenant_config(caller_tenant), extension,
                                           store.presentation_rules(caller_tenant.id))
        caller, caller_domain = caller or _ANONYMOUS, caller_tenant.domain
    KSR.pv.sets(FORWARD_AVP, "|".join((caller, caller_domain, diverting or "", tenant.domain,
                                       reason or plan_forward_reason(run))))
    KSR.tm.t_on_branch("ksr_branch_forward")


def plan_forward_reason(run):
    """Why the plan (`run`) forwards the call, as a Diversion reason (RFC 5806)."""
    if run.contacts:
        return "no-answer"                      # members rang; nobody answered
    if any(step["kind"] == "group" for step in run.steps[:run.step]):
        return "unavailable"                    # a group came first; nobody could ring
    return "unconditional"


def branch_forward():
    """Branch route of a forwarded call's branch to the carrier (see `forward`)."""
    caller, caller_domain, diverting, domain, reason = pv(FORWARD_AVP).split("|")
    if caller:
        show_number(None if caller == _ANONYMOUS else caller, caller_domain)
    if diverting:
        KSR.hdr.insert("Diversion: <sip:%s@%s>;reason=%s;counter=1\r\n"
                       % (diverting, domain, reason))
    return 1
