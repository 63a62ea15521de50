"""A stored tenant printed as a tenant file, in CONFIG-FORMAT's layout and key order.

Passwords are not printed (only HA1 digests are stored); applying the output keeps them.
"""
import dataclasses
import os
import re

import yaml

from vpbx.audio import files as audio_files
from vpbx.model.numbers import dialled_form, tenant_country_code
from vpbx.model.tenant import CYCLING_DISTRIBUTIONS, HANGUP, Destination, StoredTenant
from vpbx.provisioning.document import format_period
from vpbx.settings import platform

_NUMERIC = re.compile(r"\+?[0-9]+")   # numbers and extensions: always quoted, as in the example
_HEADER = ("# Exported by `vpbx export`. SIP passwords are not exported (only their digests are\n"
           "# stored): a user without password keeps the one it has.\n")


class _Flow(list):
    """A list printed on one line: [mon, tue]."""


class _FlowMap(dict):
    """A mapping printed on one line, keys in their order: {name: Easter, date: 2027-08-01}."""


class _Dumper(yaml.SafeDumper):
    """SafeDumper in CONFIG-FORMAT's style: list items indented under their key, double
    quotes where quotes are needed and around numbers, _Flow and _FlowMap in flow style."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)

    def choose_scalar_style(self):
        style = super().choose_scalar_style()
        return '"' if style == "'" else style


_Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style='"' if _NUMERIC.fullmatch(value) else None))
class _Quoted(str):
    """A string always printed in double quotes (a block of numbers: "+4121566*")."""


_Dumper.add_representer(_Quoted, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style='"'))
_Dumper.add_representer(_Flow, lambda dumper, value: dumper.represent_sequence(
    "tag:yaml.org,2002:seq", value, flow_style=True))
_Dumper.add_representer(_FlowMap, lambda dumper, value: dumper.represent_mapping(
    "tag:yaml.org,2002:map", list(value.items()), flow_style=True))


def _insert_before(document: dict, before: str, key: str, value) -> dict:
    """The document with `key` placed just before `before` (CONFIG-FORMAT's order)."""
    result = {}
    for name, item in document.items():
        if name == before:
            result[key] = value
        result[name] = item
    return result


def _destination(destination: Destination):
    """`hangup`, or {kind: target} on one line."""
    return "hangup" if destination == HANGUP else _FlowMap({destination.kind: destination.target})


def _user(user) -> dict:
    """A `users` entry, without password."""
    data = {"extension": user.extension, "name": user.name, "username": user.username}
    if user.direct_number:
        data["direct_number"] = user.direct_number
    return data


def _time_range(time_range) -> dict:
    """A `time_ranges` entry."""
    return {"name": time_range.name, "days": _Flow(time_range.days),
            "periods": _Flow(format_period(period) for period in time_range.periods)}


def _holiday(holiday) -> _FlowMap:
    """A `holidays` entry: {name, date} for one day, {name, from, to} for a period."""
    if holiday.first_day == holiday.last_day:
        return _FlowMap(name=holiday.name, date=holiday.first_day)
    return _FlowMap({"name": holiday.name, "from": holiday.first_day, "to": holiday.last_day})


def _group(group) -> dict:
    """A `groups` entry; cycles only for the distributions that have them."""
    data = {"name": group.name, "short_number": group.short_number,
            "distribution": group.distribution, "rings": group.rings}
    if group.distribution in CYCLING_DISTRIBUTIONS:
        data["cycles"] = group.cycles
    data["members"] = _Flow(group.members)
    if group.ringback:
        data["ringback"] = group.ringback
    data["no_answer"] = _destination(group.no_answer)
    return data


def _number(number) -> dict:
    """A `numbers` entry."""
    data = {"number": number.number}
    if number.label:
        data["label"] = number.label
    data["routes"] = [_FlowMap(range=route.range, to=_destination(route.to))
                      for route in number.routes]
    data["outside_hours"] = _destination(number.outside_hours)
    return data


def _audio(stored: StoredTenant) -> dict:
    """The `audio` section: each kind's files as their stored conversions (absolute paths,
    so that applying the export finds the very same files)."""
    data_dir = platform.load().data_dir
    section = {}
    for item in stored.config.audio or []:
        entry = _FlowMap(name=item.name, file=os.path.join(data_dir, item.path))
        if item.selected:
            entry["selected"] = True
        section.setdefault(audio_files.KIND_KEYS[item.kind], []).append(entry)
    return section


def _voicemail(stored: StoredTenant) -> list:
    """The `voicemail` section: mailboxes whose settings are not the defaults (no PIN: only
    its hash is stored, and applying without one keeps it)."""
    entries = []
    for box in stored.config.voicemail or []:
        if box.is_default:
            continue
        entry = {"number": box.number, "mode": box.mode}
        if box.email:
            entry["email"] = box.email
        entry["language"] = box.language
        if box.greeting is not None:
            entry["greeting"] = os.path.join(platform.load().data_dir, box.greeting.path)
        entries.append(entry)
    return entries


def _outgoing(tenant) -> dict:
    """The `outgoing` section: each presentation rule on one line."""
    return {"presentation": [_FlowMap(number=rule.number, users=_Flow(rule.users))
                             for rule in tenant.presentation]}


def _contact(contact) -> _FlowMap:
    """A `directory` entry on one line; `short` only when the contact has a short code."""
    entry = _FlowMap(name=contact.name, number=contact.number)
    if contact.short_code:
        entry["short"] = contact.short_code
    return entry


def _dialled(destination: Destination, access_code: bool) -> Destination:
    """An external destination as CONFIG-FORMAT writes it: as the tenant's phones dial it,
    with the access code where it is on ("00217211112"); it is stored in E.164."""
    if destination.kind != "number":
        return destination
    return Destination("number", dialled_form(destination.target, access_code=access_code,
                                              country_code=tenant_country_code()))


def _with_dialled_numbers(tenant):
    """The tenant with its external destinations as CONFIG-FORMAT writes them."""
    access = bool(tenant.access_code)
    return dataclasses.replace(
        tenant,
        groups=[dataclasses.replace(group, no_answer=_dialled(group.no_answer, access))
                for group in tenant.groups],
        numbers=[dataclasses.replace(
            number, outside_hours=_dialled(number.outside_hours, access),
            routes=tuple(dataclasses.replace(route, to=_dialled(route.to, access))
                         for route in number.routes))
            for number in tenant.numbers])


def tenant_text(stored: StoredTenant) -> str:
    """The tenant file of a stored tenant: `vpbx apply` of it changes nothing."""
    tenant = _with_dialled_numbers(stored.config)
    document = {
        "tenant": tenant.slug, "name": tenant.name, "domain": tenant.domain,
        "timezone": tenant.timezone, "access_code": tenant.access_code,
        "users": [_user(user) for user in tenant.users],
        "time_ranges": [_time_range(time_range) for time_range in tenant.time_ranges],
        "holidays": [_holiday(holiday) for holiday in tenant.holidays],
        "groups": [_group(group) for group in tenant.groups],
        "numbers": [_number(number) for number in tenant.numbers],
    }
    if tenant.audio:
        document = _insert_before(document, "groups", "audio", _audio(stored))
    voicemail = _voicemail(stored)
    if voicemail:
        document["voicemail"] = voicemail
    if tenant.presentation:
        document["outgoing"] = _outgoing(tenant)
    if tenant.directory:
        document["directory"] = [_contact(contact) for contact in tenant.directory]
    return _HEADER + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                               default_flow_style=False, width=100)


_PLATFORM_HEADER = "# Exported by `vpbx export --platform`.\n"


def platform_text(settings: dict[str, str], assignments: list) -> str:
    """The platform file of the stored platform: its carrier (when set) and the numbers
    assigned to each tenant (vpbx.provisioning.assignments); `vpbx apply` of it changes nothing."""
    content = {}
    if "carrier_address" in settings:
        content["carrier"] = {"address": settings["carrier_address"],
                              "port": int(settings.get("carrier_port", 5060))}
    blocks = {}
    for assignment in assignments:
        blocks.setdefault(assignment.tenant, _Flow()).append(_Quoted(assignment.block))
    content["numbers"] = blocks
    return _PLATFORM_HEADER + yaml.dump({"platform": content}, Dumper=_Dumper, sort_keys=False,
                                        allow_unicode=True, default_flow_style=False,
                                        width=100)
