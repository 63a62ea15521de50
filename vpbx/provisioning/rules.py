"""The rules of platform and tenant files (../shared/CONFIG-FORMAT.md, SPEC F1–F4).

Checking is done in two steps so that every problem of a file is found in one run:
`parse_tenant` checks each value on its own (format, ranges, unknown keys, duplicates in a
list); `check_tenant` then checks the file against the tenant as stored and the rest of the
platform (references between sections, numbers and domains used elsewhere, passwords needed).
No SQL here: the stored tenant and a `platform` lookup are passed in.
"""
import dataclasses
from dataclasses import dataclass, field

from vpbx.provisioning import document
from vpbx.provisioning import assignments
from vpbx.provisioning import media_rules
from vpbx.provisioning import outgoing_rules
from vpbx.model.numbers import destination_number, tenant_country_code
from vpbx.model.number_blocks import BLOCK_RULE, BlockError
from vpbx.provisioning.document import Node, Problems
from vpbx.reasons import Reason, item_name
from vpbx.model.tenant import (CYCLING_DISTRIBUTIONS, DEFAULT_CYCLES, DEFAULT_RINGS,
                              DISTRIBUTIONS, HANGUP, SECTIONS, SETTINGS, Destination, Group,
                              Holiday, Number, Route, StoredTenant, Tenant, TimeRange, User,
                              key_of, time_ranges_with_office_hours)

TENANT_KEYS = ("tenant", *SETTINGS, "users", "time_ranges", "holidays", "audio", "groups",
               "numbers", "voicemail", "outgoing", "directory")


def document_kind(root: Node) -> str | None:
    """"platform" or "tenant" from the document's top-level key, or None with a problem."""
    kinds = [key for key in ("platform", "tenant")
             if isinstance(root.value, dict) and key in root.value]
    if len(kinds) != 1:
        root.fail(Reason("document_kind"))
        return None
    return kinds[0]


# ---- platform file ----------------------------------------------------------------------------

@dataclass
class ParsedPlatform:
    """A platform file's content: the platform_settings rows it gives (name -> value), and
    the number assignments (None: the file has no `numbers:`, they are left as stored; else
    the whole list, with the path of each)."""
    settings: dict[str, str] = field(default_factory=dict)
    assignments: list | None = None
    paths: list[str] = field(default_factory=list)


def parse_platform(root: Node) -> ParsedPlatform:
    """A platform file checked on its own: the carrier, and the numbers assigned to tenants
    (`numbers: {TENANT: [BLOCK, …]}`, see vpbx.provisioning.assignments). A file gives the carrier, the
    numbers or both."""
    parsed = ParsedPlatform()
    root.mapping(("platform",))
    platform = root.at("platform")
    if not platform.mapping(("carrier", "numbers")):
        return parsed
    gives_numbers = "numbers" in platform.value
    if platform.has("carrier") or not gives_numbers:
        carrier = platform.at("carrier")
        if carrier.mapping(("address", "port")):
            address = carrier.field("address", document.ip_address, required=True)
            port = carrier.field("port", document.integer(1, 65535), default=5060)
            parsed.settings = {"carrier_address": address, "carrier_port": str(port)}
    if gives_numbers:
        _parse_assignments(platform.at("numbers"), parsed)
    return parsed


def _parse_assignments(node: Node, parsed: ParsedPlatform) -> None:
    """`numbers:` of a platform file: each tenant's short name and its list of blocks."""
    parsed.assignments = []
    if not isinstance(node.value, dict):      # an empty numbers: is a mistake, {} is "none"
        node.fail(Reason("numbers_mapping"))
        return
    for tenant in node.value:
        at = node.at(str(tenant))
        slug = Node(at.problems, at.path, tenant).read(document.slug)
        for item in at.items() or []:
            block = item.read(_block)
            if slug and block:
                parsed.assignments.append(assignments.Assignment(None, slug, block))
                parsed.paths.append(item.path)


def _block(value):
    """A block of numbers (vpbx.model.number_blocks) as the platform file writes it."""
    try:
        return assignments.parse_block(document.text_of(value, BLOCK_RULE))
    except BlockError as exc:
        raise document.Invalid(exc.reason) from None


def check_platform(parsed: ParsedPlatform, in_use: list, problems: Problems) -> None:
    """The file's assignments as the whole table, by the rules of vpbx.provisioning.assignments (no
    overlap; every number a tenant uses stays assigned to it)."""
    if parsed.assignments is None:
        return
    for index, reason in assignments.problems(parsed.assignments, in_use):
        problems.add(parsed.paths[index] if index >= 0 else "platform.numbers", reason)


# ---- tenant file: each value on its own -------------------------------------------------------

@dataclass
class ParsedTenant:
    """A tenant file's valid content: the settings it gives, where each item came from, and
    every key it declares (an invalid item's name still counts, so that references to it give
    no second problem)."""
    tenant: Tenant
    given: set[str] = field(default_factory=set)
    paths: dict[str, list[str]] = field(default_factory=dict)
    declared: dict[str, set] = field(default_factory=dict)


def _user(node: Node) -> User | None:
    """An entry of `users`: extension, name, username, password (optional), direct number."""
    if not node.mapping(("extension", "name", "username", "password", "direct_number")):
        return None
    return User(extension=node.field("extension", document.extension, required=True),
                name=node.field("name", document.text(128), required=True),
                username=node.field("username", document.username, required=True),
                direct_number=node.field("direct_number", document.e164),
                password=node.field("password", document.password))


def _time_range(node: Node) -> TimeRange | None:
    """An entry of `time_ranges`: a name, weekdays and one to three periods."""
    if not node.mapping(("name", "days", "periods")):
        return None
    return TimeRange(name=node.field("name", document.text(128), required=True),
                     days=node.field("days", document.weekdays, required=True),
                     periods=node.field("periods", document.periods, required=True))


def _holiday(node: Node) -> Holiday | None:
    """An entry of `holidays`: {name, date} for a day or {name, from, to} for a period."""
    if not node.mapping(("name", "date", "from", "to")):
        return None
    name = node.field("name", document.text(128), required=True)
    if node.has("date"):
        if node.has("from") or node.has("to"):
            node.fail(Reason("one_day_or_period"))
        first = last = node.field("date", document.day)
    else:
        needed = "required (or date for a single day)"
        first = node.field("from", document.day, required=needed)
        last = node.field("to", document.day, required=needed)
        if first and last and first > last:
            node.at("to").fail(Reason("not_before_from"))
    return Holiday(name, first, last)


def _group(node: Node) -> Group | None:
    """An entry of `groups` (SPEC F3.1); `ringback` names a ringback tone (audio:)."""
    if not node.mapping(("name", "short_number", "distribution", "rings", "cycles", "members",
                         "ringback", "no_answer")):
        return None
    name = node.field("name", document.text(128), required=True)
    short_number = node.field("short_number", document.integer(200, 999), required=True)
    distribution = node.field("distribution", document.one_of(DISTRIBUTIONS), required=True)
    rings = node.field("rings", document.integer(1, 20), default=DEFAULT_RINGS)
    if node.has("cycles") and distribution and distribution not in CYCLING_DISTRIBUTIONS:
        node.at("cycles").fail(Reason("cycles_only_cyclic"))
    cycles = node.field("cycles", document.integer(1, 10), default=DEFAULT_CYCLES)
    members = node.field("members", document.extensions, default=())
    ringback = node.field("ringback", document.text(128))
    return Group(name, short_number, distribution, rings, cycles, members,
                 no_answer=node.field("no_answer", document.destination, default=HANGUP),
                 ringback=ringback)


def _route(node: Node) -> Route | None:
    """An entry of a number's `routes`: {range: NAME, to: DESTINATION}."""
    if not node.mapping(("range", "to")):
        return None
    return Route(range=node.field("range", document.text(128), required=True),
                 to=node.field("to", document.destination, required=True))


def _routes(node: Node) -> tuple[Route, ...]:
    """A number's routes, in order; a time range routed twice is a problem (the second
    would never be used: the first matching range wins)."""
    if node.value is None:
        return ()
    routes = tuple(_route(item) for item in node.items() or ())
    seen = {}
    for index, route in enumerate(routes):
        if route and route.range in seen:
            node.at(index).at("range").fail(Reason("range_routed_twice", range=repr(route.range),
                                                   route=f"routes[{seen[route.range]}]"))
        elif route:
            seen[route.range] = index
    return routes


def _number(node: Node) -> Number | None:
    """An entry of `numbers` (SPEC F2): number, label, routes, outside-hours destination."""
    if not node.mapping(("number", "label", "routes", "outside_hours")):
        return None
    return Number(number=node.field("number", document.e164, required=True),
                  label=node.field("label", document.text(128, allow_empty=True), default=""),
                  routes=_routes(node.at("routes")),
                  outside_hours=node.field("outside_hours", document.destination, default=HANGUP))


_ITEM_PARSERS = {"users": (_user, "extension"), "time_ranges": (_time_range, "name"),
                 "holidays": (_holiday, None), "groups": (_group, "name"),
                 "numbers": (_number, "number")}
# what must be unique inside one list: (attribute, or None for the whole item)
_UNIQUE = {"users": ("extension", "username", "direct_number"), "time_ranges": ("name",),
           "holidays": (None,), "groups": ("name", "short_number"), "numbers": ("number",)}


def _parse_section(root: Node, parsed: ParsedTenant, section: str) -> None:
    """Read one list section into `parsed`, keeping only items without problems."""
    if section not in root.value:
        return
    nodes = root.at(section).items()
    if nodes is None:
        return
    parse_item, key = _ITEM_PARSERS[section]
    items, paths, declared = [], [], set()
    for node in nodes:
        if key and isinstance(node.value, dict) and isinstance(node.value.get(key), str):
            declared.add(node.value[key])
        before = len(node.problems)
        item = parse_item(node)
        if item is not None and len(node.problems) == before:
            items.append(item)
            paths.append(node.path)
    setattr(parsed.tenant, section, items)
    parsed.paths[section], parsed.declared[section] = paths, declared
    for attribute in _UNIQUE[section]:
        _check_unique(root.problems, items, paths, attribute)


def _check_unique(problems: Problems, items: list, paths: list[str], attribute) -> None:
    """Each item's `attribute` (the whole item if None) differs from the items before it."""
    first_seen = {}
    for item, path in zip(items, paths):
        value = getattr(item, attribute) if attribute else item
        if value is None:
            continue
        if value in first_seen:
            where = f"{path}.{attribute}" if attribute else path
            problems.add(where, Reason("already_used", value=value, by=first_seen[value])
                         if attribute else Reason("same_as", other=first_seen[value]))
        else:
            first_seen[value] = path


def parse_tenant(root: Node) -> ParsedTenant:
    """Every value of a tenant file checked on its own."""
    root.mapping(TENANT_KEYS)
    tenant = Tenant(slug=root.field("tenant", document.slug, required=True),
                    name=root.field("name", document.text(128)),
                    domain=root.field("domain", document.domain),
                    timezone=root.field("timezone", document.timezone),
                    access_code=root.field("access_code", document.boolean))
    parsed = ParsedTenant(tenant, given={key for key in SETTINGS if root.has(key)})
    for section in SECTIONS:
        _parse_section(root, parsed, section)
    media_rules.parse_audio(root, parsed)
    media_rules.parse_voicemail(root, parsed)
    outgoing_rules.parse_outgoing(root, parsed)
    outgoing_rules.parse_directory(root, parsed)
    return parsed


# ---- tenant file: against the stored tenant and the platform ----------------------------------

@dataclass(frozen=True)
class _Item:
    """An item of the tenant as it will be after the apply; path None = kept from the database."""
    section: str
    value: object
    path: str | None


@dataclass(frozen=True)
class _Reference:
    """An item (`by`, at `path` in the file or None if stored) that needs a key of a section."""
    section: str
    key: object
    path: str | None
    by: str


def _resulting_items(parsed: ParsedTenant, stored: StoredTenant | None) -> dict[str, list]:
    """Each section as it will be after the apply: the file's list where the file has the
    section, else the stored one (with "Office hours", which always exists)."""
    result = {}
    for section in SECTIONS:
        listed = getattr(parsed.tenant, section)
        if listed is not None:
            result[section] = [_Item(section, item, path)
                               for item, path in zip(listed, parsed.paths[section])]
        else:
            kept = getattr(stored.config, section) if stored else []
            result[section] = [_Item(section, item, None) for item in kept]
    listed = {item.value.name for item in result["time_ranges"]}
    stored_ranges = stored.config.time_ranges if stored else None
    result["time_ranges"] += [
        _Item("time_ranges", office, None)
        for office in time_ranges_with_office_hours([], stored_ranges)
        if office.name not in listed]
    return result


def _describe(item: _Item) -> Reason:
    """"group Reception", "number +41…", "user 7956": how a problem names an item."""
    return item_name(item.section, key_of(item.section, item.value))


def _destination_reference(destination, path, by) -> list[_Reference]:
    """What a destination needs: its group, or the number whose voicemail it is."""
    sections = {"group": "groups", "voicemail": "numbers"}
    if destination.kind not in sections:
        return []
    return [_Reference(sections[destination.kind], destination.target, path, by)]


def _references(items: dict[str, list[_Item]]) -> list[_Reference]:
    """Every reference between sections of the resulting tenant."""
    found = []
    for group in items["groups"]:
        path, by = group.path, _describe(group)
        if path:    # a stored group loses a removed member with the member (ON DELETE CASCADE)
            found += [_Reference("users", member, f"{path}.members", by)
                      for member in group.value.members]
        found += _destination_reference(group.value.no_answer, path and f"{path}.no_answer", by)
    for number in items["numbers"]:
        path, by = number.path, _describe(number)
        for index, route in enumerate(number.value.routes):
            at = path and f"{path}.routes[{index}]"
            found.append(_Reference("time_ranges", route.range, at and f"{at}.range", by))
            found += _destination_reference(route.to, at and f"{at}.to", by)
        found += _destination_reference(number.value.outside_hours,
                                        path and f"{path}.outside_hours", by)
    return found


def _missing(section: str, key: str) -> Reason:
    """Why a reference to `key` of `section` finds nothing."""
    if section == "users":
        return Reason("no_user", extension=key)
    if section == "numbers":
        return Reason("not_tenant_number", number=key)
    return Reason("no_group" if section == "groups" else "no_time_range", name=repr(key))


def _check_references(parsed: ParsedTenant, items: dict[str, list[_Item]],
                      problems: Problems) -> None:
    """Each reference finds its target. A file's reference to nothing is a problem where it
    is written; a stored item still using what the file removes is a problem of that section."""
    keys = {section: {key_of(section, item.value) for item in section_items}
            | parsed.declared.get(section, set())
            for section, section_items in items.items()}
    still_used = set()
    for ref in _references(items):
        if ref.key in keys[ref.section]:
            continue
        if ref.path:
            problems.add(ref.path, _missing(ref.section, ref.key))
        else:
            still_used.add((ref.section, ref.key, ref.by))
    for section, key, by in sorted(still_used, key=str):
        problems.add(section, Reason("still_used_cannot_remove", item=item_name(section, key),
                                     by=by))


def _check_clashes(left: list[_Item], left_attribute: str, right: list[_Item],
                   right_attribute: str, problems: Problems) -> None:
    """A value of a `right` item (e.g. a group's short number) must not be the value of a
    `left` item (a user's extension); reported where the file writes one of the two."""
    def value_of(item, attribute):
        value = getattr(item.value, attribute)
        return None if value is None else str(value)

    owners = {value_of(item, left_attribute): item for item in left
              if value_of(item, left_attribute) is not None}
    for item in right:
        value = value_of(item, right_attribute)
        other = owners.get(value)
        if other is None or not (item.path or other.path):
            continue
        if item.path:
            problems.add(f"{item.path}.{right_attribute}",
                         Reason("already_used", value=value, by=_describe(other)))
        else:
            problems.add(f"{other.path}.{left_attribute}",
                         Reason("already_used", value=value, by=_describe(item)))


def _check_platform_numbers(items: dict[str, list[_Item]], platform, problems) -> None:
    """The file's direct and global numbers are not another tenant's (F1.4: one owner each),
    and are assigned to this tenant by the platform operator (vpbx.provisioning.assignments)."""
    written = [(f"{item.path}.{attribute}", getattr(item.value, attribute))
               for section, attribute in (("users", "direct_number"), ("numbers", "number"))
               for item in items[section] if item.path and getattr(item.value, attribute)]
    owners = platform.number_owners([number for _, number in written])
    unassigned = set(platform.unassigned([number for _, number in written]))
    for path, number in written:
        if number in owners:
            problems.add(path, Reason("number_of_tenant", number=number, tenant=owners[number]))
        elif number in unassigned:
            problems.add(path, Reason("number_not_assigned", number=number))


def _check_passwords(parsed: ParsedTenant, tenant: Tenant, stored: StoredTenant | None,
                     problems: Problems) -> None:
    """A SIP account is (re)written only with its password: a new user, a changed username,
    a user without an account, and every user when the tenant's domain changes, need one."""
    domain_changes = stored is not None and tenant.domain != stored.config.domain
    if parsed.tenant.users is None:
        if domain_changes and stored.config.users:
            problems.add("domain", Reason("domain_needs_passwords"))
        return
    current = {user.extension: user for user in stored.config.users} if stored else {}
    missing = []
    for user, path in zip(parsed.tenant.users, parsed.paths["users"]):
        old = current.get(user.extension)
        if user.password:
            continue
        if old is None:
            problems.add(f"{path}.password", Reason("password_new_user"))
        elif old.username != user.username:
            problems.add(f"{path}.password", Reason("password_new_username"))
        elif old.username not in stored.ha1:
            problems.add(f"{path}.password", Reason("password_no_account"))
        elif domain_changes:
            missing.append(user.extension)
    if missing:
        problems.add("domain", Reason("domain_needs_passwords_of", extensions=", ".join(missing)))


def _external_e164(destination: Destination, access_code: bool) -> Destination:
    """An external destination as E.164, read as the file or form wrote it with the tenant's
    access code as it is after this change (a number not understood stays as written, as
    before). Stored as E.164, it keeps meaning the same number when a setting changes."""
    if destination.kind != "number":
        return destination
    number = destination_number(destination.target, access_code=access_code,
                                country_code=tenant_country_code())
    return Destination("number", number) if number else destination


def _with_external_numbers_e164(tenant: Tenant) -> Tenant:
    """The tenant with the external destinations its file gives in E.164."""
    access = bool(tenant.access_code)
    changes = {}
    if tenant.groups is not None:
        changes["groups"] = [dataclasses.replace(group, no_answer=_external_e164(group.no_answer, access))
                             if group else group for group in tenant.groups]
    if tenant.numbers is not None:
        changes["numbers"] = [dataclasses.replace(
            number, outside_hours=_external_e164(number.outside_hours, access),
            routes=tuple(dataclasses.replace(route, to=_external_e164(route.to, access))
                         if route else route for route in number.routes))
            if number else number for number in tenant.numbers]
    return dataclasses.replace(tenant, **changes) if changes else tenant


def check_tenant(parsed: ParsedTenant, stored: StoredTenant | None, platform,
                 problems: Problems) -> Tenant:
    """Check a parsed tenant file against the stored tenant and the other tenants
    (`platform.domain_owner(domain)`, `platform.number_owners(numbers)`) and the numbers the
    operator assigned to it (`platform.unassigned(numbers)`); returns the tenant
    with its absent settings taken from the stored one (or the defaults)."""
    tenant = parsed.tenant.with_settings_of(stored.config if stored else None)
    if stored is None:
        for setting in ("name", "domain"):
            if setting not in parsed.given:
                problems.add(setting, Reason("required_new_tenant"))
    if parsed.tenant.domain:
        owner = platform.domain_owner(parsed.tenant.domain)
        if owner:
            problems.add("domain", Reason("domain_taken", domain=parsed.tenant.domain,
                                          tenant=owner))
    tenant = _with_external_numbers_e164(tenant)
    items = _resulting_items(parsed, stored)
    _check_references(parsed, items, problems)
    _check_clashes(items["users"], "extension", items["groups"], "short_number", problems)
    _check_clashes(items["users"], "direct_number", items["numbers"], "number", problems)
    _check_platform_numbers(items, platform, problems)
    if tenant.domain:
        _check_passwords(parsed, tenant, stored, problems)
    media_rules.check_media(parsed, tenant, stored, items, problems)
    outgoing_rules.check_outgoing(parsed, stored, items, problems)
    return tenant
