"""Running a call plan live, one action at a time (pure logic, JSON-serialisable state).

The KEMI routing computes the plan with vpbx.engine.call_plan when the call arrives, keeps
this state in the transaction (an AVP, so every Kamailio process that handles a reply or a
timeout of the call sees it), and asks `next_action` each time the phones of a step did not
answer.
Members unavailable at that moment are skipped without spending ring time.

A phone that stopped ringing for a call less than REDIAL_GUARD_SECONDS ago would refuse the
same call again: its INVITE transaction lingers after the CANCEL (RFC 3261 Timer I, 5 s over
UDP), and a new INVITE with the same Call-ID, From tag and CSeq is a merged request to it
(482, §8.2.2.2). So a ring that would reach such a phone waits (`pause_before`); the caller
goes on hearing ringback meanwhile.
"""
import json
import re
from dataclasses import dataclass, field, fields

from vpbx.engine.call_plan import derived
from vpbx.records import json_line

REDIAL_GUARD_SECONDS = 6.0
# Kamailio's timers tick every 1/16 s and may fire up to a tick early: a ring timed by them
# can end a few hundredths of a second "before" the guard of its predecessor does. A wait
# shorter than this is such rounding, not a phone still in its guard (which leaves 1 s to
# spare over Timer I's 5 s), and is not made.
TIMER_SLACK_SECONDS = 0.25
_CONTACT = re.compile(r"^<?sips?:(?:([^@;>]*)@)?([^;>?]+)")


def contact_key(uri: str) -> str:
    """user@host:port of a contact URI, without parameters: the same phone's Contact in its
    REGISTER and in its 200 OK give the same key."""
    match = _CONTACT.match((uri or "").strip())
    if not match:
        return uri or ""
    user, hostport = match.groups()
    return f"{user or ''}@{hostport.lower()}"


@dataclass(frozen=True)
class Action:
    """What to do now: ring members, or one of the plan's final destinations."""
    kind: str                          # ring | voicemail | announcement | number | hangup
    group: str | None = None
    distribution: str | None = None
    members: tuple[str, ...] = ()
    seconds: int = 0
    target: str | None = None
    reason: str | None = None


@dataclass
class FlowRun:
    """Where a live call is in its plan."""
    tenant: str
    tenant_id: int
    caller: str
    dialled: str
    range: str | None
    steps: list
    step: int = 0
    ring: int = 0
    skipped: list = field(default_factory=list)   # members skipped at the last action
    aors: dict = field(default_factory=dict)       # extension → SIP address of record
    contacts: dict = field(default_factory=dict)   # contact key → extension, last action
    caller_party: str | None = None                # "tenant_id:extension" of a calling user
    access_code: bool = True                        # how the tenant writes external numbers
    rang_until: dict = field(default_factory=dict)  # extension → when its last ring ended
    held: list | None = None                        # a ring action waiting out a pause
    redirects: int = 0                              # phones' 3xx followed (kemi: follow_redirect)
    media: str | None = None                        # "voicemail:NUMBER", "announcement:NAME"
                                                    # when the media application is called

    def answer_state(self) -> "AnswerState":
        """What an answer to the current action needs to know (see AnswerState)."""
        group = self.current_group if self.steps else None
        cyclic = group is not None and self.steps[self.step].get("distribution") == "cyclic"
        return AnswerState(self.tenant, self.tenant_id, group, cyclic, self.contacts,
                           self.caller_party, self.media)

    def next_action(self, available) -> Action:
        """The next action; `available` says whether a member can ring right now."""
        self.skipped = []
        while self.step < len(self.steps):
            current = self.steps[self.step]
            if current["kind"] != "group":
                self.step += 1
                return Action(current["kind"], target=current.get("name"),
                              reason=current.get("reason"))
            while self.ring < len(current["ring"]):
                entry = current["ring"][self.ring]
                self.ring += 1
                ringing = tuple(m for m in entry["members"] if available(m))
                self.skipped += [m for m in entry["members"] if m not in ringing]
                if ringing:
                    return Action("ring", group=current["name"],
                                  distribution=current["distribution"], members=ringing,
                                  seconds=entry["seconds"])
            self.step += 1
            self.ring = 0
        return Action("hangup", reason="end of plan")

    def end_ring(self, now: float) -> None:
        """The phones of the last action stopped ringing at `now` (a monotonic time)."""
        for member in set(self.contacts.values()):
            self.rang_until[member] = now

    def pause_before(self, action: Action, now: float) -> float:
        """Seconds `action` must wait so that none of its members is rung again within
        REDIAL_GUARD_SECONDS of their last ring in this call (0: ring at once)."""
        ended = [self.rang_until[m] for m in action.members if m in self.rang_until]
        wait = max(ended) + REDIAL_GUARD_SECONDS - now if ended else 0.0
        return wait if wait >= TIMER_SLACK_SECONDS else 0.0

    def hold(self, action: Action) -> None:
        """Keep `action` for the end of its pause; nothing rings meanwhile."""
        self.held = [action.group, action.distribution, list(action.members), action.seconds]
        self.contacts = {}

    def take_held(self) -> Action | None:
        """The action whose pause just ended, if any (it is no longer held)."""
        if not self.held:
            return None
        group, distribution, members, seconds = self.held
        self.held = None
        return Action("ring", group=group, distribution=distribution, members=tuple(members),
                      seconds=seconds)

    @property
    def current_group(self) -> str | None:
        if self.step < len(self.steps) and self.steps[self.step]["kind"] == "group":
            return self.steps[self.step]["name"]
        return None

    def dumps(self) -> str:
        # the fields as they are (plain JSON values): dataclasses.asdict would deep-copy
        # every step and ring list first, on every action of every call; the steps and the
        # members' addresses, most of the text, are encoded once when the configuration
        # shares them between calls (call_plan.SharedSteps)
        steps, aors = self.steps, self.aors
        others = json_line.dumps({name: getattr(self, name) for name in _OTHER_FIELDS})
        return '{"steps":%s,"aors":%s,%s' % (
            derived(steps, "json", json_line.dumps),
            derived(steps, "aors json", lambda _: json_line.dumps(aors), along=aors), others[1:])

    @classmethod
    def loads(cls, text: str) -> "FlowRun":
        return cls(**json.loads(text))


def with_waits(steps: list) -> list:
    """`steps` (a plan's) with "wait" on each ring entry that the live routing would make
    wait first (see pause_before), supposing every ring lasts its full time and nobody
    answers: what `vpbx simulate` and the UI's preview show. Entries are copied, not
    changed (the routing shares them between calls)."""
    run = FlowRun("", 0, "", "", None, steps)
    now, waits = 0.0, {}
    while (action := run.next_action(lambda member: True)).kind == "ring":
        wait = run.pause_before(action, now)
        if wait > 0:
            waits[(run.step, run.ring - 1)] = round(wait)
        now += wait + action.seconds
        run.contacts = {member: member for member in action.members}
        run.end_ring(now)
    if not waits:
        return steps
    waiting_steps = {number for number, _place in waits}
    return [dict(step, ring=[dict(entry, wait=waits[(number, place)])
                             if (number, place) in waits else entry
                             for place, entry in enumerate(step["ring"])])
            if number in waiting_steps else step
            for number, step in enumerate(steps)]


@dataclass
class AnswerState:
    """The part of a live call's flow that its answer needs: who rang, for which group.

    It travels apart from the whole FlowRun, so the reply route of an answered call reads a
    few fields instead of the whole plan (the plan is only read again when nobody answers).
    """
    tenant: str
    tenant_id: int
    group: str | None = None           # the group whose members ring, if any
    cyclic: bool = False               # its distribution is cyclic (the answer moves its pointer)
    contacts: dict = field(default_factory=dict)   # contact key → extension
    caller_party: str | None = None
    media: str | None = None           # the media application answers: "KIND:TARGET"

    def answered_by(self, contact_uri: str) -> str | None:
        """The member whose phone answered, from the Contact of its 200 OK; when one member
        alone rang, that member."""
        key = contact_key(contact_uri)
        if key in self.contacts:
            return self.contacts[key]
        members = set(self.contacts.values())
        return members.pop() if len(members) == 1 else None

    def dumps(self) -> str:
        # a JSON list in field order: the fields' values only, the names are the class's
        return json_line.dumps([getattr(self, name) for name in _ANSWER_FIELDS])

    @classmethod
    def loads(cls, text: str) -> "AnswerState":
        return cls(*json.loads(text))


_OTHER_FIELDS = tuple(f.name for f in fields(FlowRun) if f.name not in ("steps", "aors"))
_ANSWER_FIELDS = tuple(f.name for f in fields(AnswerState))
