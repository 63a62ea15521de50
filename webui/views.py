"""How the configuration is shown: sentences, week timelines and call-flow diagrams.

Pure presentation over vpbx.model.tenant values, in the current language; the pages, their
print views, the live summaries of the editors and the monitor's printout all use these.
"""
from dataclasses import dataclass, field

from vpbx.engine import call_plan
from vpbx.model.tenant import CYCLING_DISTRIBUTIONS, DAYS, Destination
from vpbx.engine.ring_plan import RING_SECONDS

from vpbx.reasons import N_

from .i18n import _, day_name, plural, range_name

DISTRIBUTION_NAMES = {"cyclic": N_("cyclic"), "hierarchical": N_("hierarchical"),
                      "simultaneous": N_("simultaneous"), "least_active": N_("least active"),
                      "random": N_("random")}


def distribution_name(distribution: str) -> str:
    return _(DISTRIBUTION_NAMES.get(distribution, distribution))


def clock(minute: int) -> str:
    """A minute of the day as the guide writes it: "08h00" (fr), "08:00" (en)."""
    return _("{h:02d}:{m:02d}").format(h=minute // 60, m=minute % 60)


def hhmm(minute: int) -> str:
    """A minute of the day as the editors write it: "08:00" (24:00 for the end of day)."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


# ---- time ranges -----------------------------------------------------------------------------

def days_text(days) -> str:
    """"Monday to Friday", "Monday, Wednesday and Saturday", "every day"."""
    chosen = [DAYS.index(day) for day in DAYS if day in days]
    if not chosen:
        return _("no day")
    if len(chosen) == 7:
        return _("every day")
    if len(chosen) >= 3 and chosen == list(range(chosen[0], chosen[-1] + 1)):
        return _("{first} to {last}").format(first=day_name(chosen[0]),
                                             last=day_name(chosen[-1]))
    names = [day_name(index) for index in chosen]
    if len(names) == 1:
        return names[0]
    return _("{items} and {last}").format(items=", ".join(names[:-1]), last=names[-1])


def periods_text(periods) -> str:
    """"from 08:00 to 12:00 and from 14:00 to 18:00"."""
    parts = [_("from {start} to {end}").format(start=clock(start), end=clock(end))
             for start, end in periods]
    if not parts:
        return _("no period")
    if len(parts) == 1:
        return parts[0]
    return _("{items} and {last}").format(items=", ".join(parts[:-1]), last=parts[-1])


def range_summary(days, periods) -> str:
    """The editor's summary line: "Monday to Friday, from 08:00 to 12:00 and …"."""
    return _("{days}, {periods}").format(days=days_text(days), periods=periods_text(periods))


@dataclass
class DayBar:
    """One day of a week timeline: whether the range includes it, and its periods as
    (start minute, length in minutes, label) segments of a 00:00–24:00 bar."""
    index: int
    included: bool
    segments: list = field(default_factory=list)


def week_timeline(days, periods) -> list[DayBar]:
    """The guide's picture of a range: a bar from 00:00 to 23:59 per weekday."""
    return [DayBar(index, day in days,
                   [(start, end - start, f"{hhmm(start)}–{hhmm(end)}")
                    for start, end in periods] if day in days else [])
            for index, day in enumerate(DAYS)]


# ---- groups ----------------------------------------------------------------------------------

def duration_text(seconds: int) -> str:
    """"3 minutes", "45 seconds", "1 minute 30 seconds"."""
    minutes, rest = divmod(seconds, 60)
    parts = []
    if minutes:
        parts.append(plural(minutes, "{n} minute", "{n} minutes"))
    if rest or not minutes:
        parts.append(plural(rest, "{n} second", "{n} seconds"))
    return " ".join(parts)


def ring_seconds(distribution: str, rings: int, cycles: int, members: int) -> int:
    """How long a group rings before its no-answer rule, everybody available."""
    seconds = rings * RING_SECONDS
    if distribution == "simultaneous":
        return seconds if members else 0
    return seconds * members * (cycles if distribution in CYCLING_DISTRIBUTIONS else 1)


_SENTENCES = {
    "cyclic": N_("The members' phones will ring {times} in turn for {cycles} before "
                 "the no-answer rules apply. Each ringing cycle starts with the member after "
                 "the one who answered the last call."),
    "hierarchical": N_("The phone of the first available member of the list will ring "
                       "{times}. If this member is unavailable or does not answer, the call "
                       "goes to the next member: the list sets the members' priority."),
    "simultaneous": N_("The members' phones will ring simultaneously {times} before the "
                       "no-answer rules apply."),
    "least_active": N_("Calls go to the member who has been idle for the longest time among "
                       "the members of this group; each member rings {times}."),
    "random": N_("The members' phones will ring {times} in turn, in a random order, for "
                 "{cycles} before the no-answer rules apply."),
}


def group_sentence(distribution: str, rings: int, cycles: int, members: int) -> str:
    """The guide's explanation of a distribution with its numbers filled in, and when the
    no-answer rules apply."""
    template = _SENTENCES.get(distribution)
    if template is None:
        return ""
    times = plural(rings, "{n} time", "{n} times")
    cycles_text = plural(cycles, "{n} cycle", "{n} cycles")
    sentence = _(template).format(times=times, cycles=cycles_text)
    if members:
        after = duration_text(ring_seconds(distribution, rings, cycles, members))
        sentence += " " + _("If no member of the group answers within {duration}, the "
                            "no-answer rules apply.").format(duration=after)
    else:
        sentence += " " + _("The group has no member yet: calls go straight to the no-answer "
                            "rules.")
    return sentence


def group_type(group) -> str:
    """"random (2 rings)", "cyclic (3 rings, 3 cycles)"."""
    rings = plural(group.rings, "{n} ring", "{n} rings")
    if group.distribution in CYCLING_DISTRIBUTIONS:
        cycles = plural(group.cycles, "{n} cycle", "{n} cycles")
        return f"{distribution_name(group.distribution)} ({rings}, {cycles})"
    return f"{distribution_name(group.distribution)} ({rings})"


# ---- destinations and call flows -------------------------------------------------------------

def destination_label(destination: Destination, groups_by_name=None) -> str:
    """A destination in words: "group Reception (401)", "voicemail of +41…", …"""
    kind, target = destination.kind, destination.target
    if kind == "group":
        group = (groups_by_name or {}).get(target)
        if group is not None:
            return _("group {name} ({short})").format(name=target, short=group.short_number)
        return _("group {name}").format(name=target)
    if kind == "voicemail":
        return _("voicemail of {number}").format(number=target)
    if kind == "number":
        return _("external number {number}").format(number=target)
    if kind == "announcement":
        return _("announcement {name}").format(name=target)
    return _("end the call")


@dataclass
class FlowNode:
    """A box of a call-flow diagram: a group (with its members) or a final destination."""
    kind: str
    title: str
    detail: str = ""
    members: list = field(default_factory=list)     # (extension, name, direct number)
    group: object = None


@dataclass
class FlowRow:
    """One line of a number's diagram: when (a range, "outside hours"), then the chain."""
    when: str
    range: object
    chain: list


def _chain(config, destination: Destination) -> list[FlowNode]:
    """The boxes from a destination on, following no-answer rules as the engine does
    (call_plan.follow, every member available), loops ending the call."""
    groups = {group.name: group for group in config.groups or []}
    users = {user.extension: user for user in config.users or []}
    nodes = []
    for step in call_plan.follow(config, destination, call_plan.MemberState()):
        if step["kind"] == "group":
            group = groups[step["name"]]
            nodes.append(FlowNode(
                "group", _("group {name} ({short})").format(name=group.name,
                                                           short=group.short_number),
                group_type(group),
                [(ext, users[ext].name if ext in users else "",
                  users[ext].direct_number if ext in users else None)
                 for ext in group.members], group))
        elif step["kind"] == "hangup":
            reason = step.get("reason")
            detail = {"loop": _("loop: this group was already tried"),
                      "unknown group": _("unknown group")}.get(reason, "")
            nodes.append(FlowNode("hangup", _("end the call"), detail))
        else:
            nodes.append(FlowNode(step["kind"],
                                  destination_label(Destination(step["kind"], step["name"]))))
    return nodes


def number_flow(config, number) -> list[FlowRow]:
    """A global number's call flow as rows: each routed range, then outside hours (which
    holidays also use)."""
    ranges = {time_range.name: time_range for time_range in config.time_ranges or []}
    rows = [FlowRow(range_name(route.range), ranges.get(route.range), _chain(config, route.to))
            for route in number.routes]
    rows.append(FlowRow(_("Outside hours"), None, _chain(config, number.outside_hours)))
    return rows


def plan_steps(plan, config) -> list[dict]:
    """The steps of an engine's plan (vpbx simulate) with names for the page."""
    users = {user.extension: user.name for user in config.users or []}
    out = []
    for step in plan.steps:
        item = dict(step)
        if step["kind"] == "group":
            item["rings"] = [{"members": [(ext, users.get(ext, "")) for ext in ring["members"]],
                              "seconds": ring["seconds"], "wait": ring.get("wait", 0)}
                             for ring in step["ring"]]
            item["title"] = _("group {name}").format(name=step["name"])
            item["detail"] = distribution_name(step["distribution"])
        elif step["kind"] == "hangup":
            item["title"] = _("end the call")
            item["detail"] = {"loop": _("loop: this group was already tried"),
                              "unknown group": _("unknown group")}.get(step.get("reason"), "")
        else:
            item["title"] = destination_label(Destination(step["kind"], step.get("name")))
        out.append(item)
    return out
