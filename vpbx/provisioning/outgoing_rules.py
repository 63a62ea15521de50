"""The `outgoing:` and `directory:` sections of a tenant file (SPEC F6.2, F9; CONFIG-FORMAT).

    outgoing:
      presentation:                 # these users' external calls show this number
        - {number: "+41215667955", users: ["7956", "7961"]}
    directory:
      - {name: Plumber, number: "+41219876543", short: "3435"}    # dialled as ##3435

The rules are the web UI's: `presentation.rule_problems` (a number the tenant owns, users
that exist, one rule per user) and `directory.check_contact` (a name, a telephone number
stored in E.164, an optional short code of 1 to 6 digits), plus what a list adds: a number
has one rule, a short code one contact.

As for the other sections, an absent `outgoing:` (or one without `presentation:`) or
`directory:` is left as stored, and a given list is the whole section (`[]`: none). While
the stored rules are left, a user the file removes leaves its rule (a rule left without
users goes, see outgoing_write), and a number a rule shows cannot stop being the
tenant's.
"""
from vpbx.model.tenant import Contact, PresentationRule
from vpbx.provisioning import directory, document, presentation
from vpbx.reasons import Reason


def _quoted(rule: Reason):
    """A validator that only wants a string (`rule`: what is expected, with the "write it in
    quotes" hint for a bare number); the contact rules themselves are check_contact's."""
    def check(value) -> str:
        return document.text_of(value, rule)
    return check


_CONTACT_FIELDS = {
    "name": _quoted(Reason("contact_text")),
    "number": _quoted(Reason("phone_number")),
    "short": _quoted(Reason("short_code_text")),
}


def _first_use(item, key: str, value, first_seen: dict) -> None:
    """`value` at `key` of this entry is a problem when an earlier entry of the list has it
    already; else it is remembered as this entry's."""
    if value is None:
        return
    if value in first_seen:
        item.at(key).fail(Reason("already_used", value=value, by=first_seen[value]))
    else:
        first_seen[value] = item.path


# ---- parsing: each entry on its own ---------------------------------------------------------

def _rule(item, first_seen: dict) -> PresentationRule | None:
    """An entry of `outgoing.presentation`: {number, users}, users sorted."""
    if not item.mapping(("number", "users")):
        return None
    number = item.field("number", document.e164, required=True)
    users = item.field("users", document.extensions, required=True)
    _first_use(item, "number", number, first_seen)
    return PresentationRule(number, tuple(sorted(users))) if users is not None else None


def _contact(item, first_seen: dict) -> Contact | None:
    """An entry of `directory`: {name, number, short}, by the UI's check_contact."""
    if not item.mapping(tuple(_CONTACT_FIELDS)):
        return None
    before = len(item.problems)
    given = {key: item.field(key, check, required=key != "short")
             for key, check in _CONTACT_FIELDS.items()}
    if len(item.problems) > before:
        return None
    contact, found = directory.check_contact(given["name"], given["number"],
                                             given["short"] or "")
    for key, reason in found:
        item.at(key).fail(reason)
    if contact is not None:
        _first_use(item, "short", contact.short_code and f"##{contact.short_code}", first_seen)
    return contact


def _parse_list(node, parse_entry, parsed, section: str) -> None:
    """A list of entries into parsed.tenant.`section`, keeping those without problems."""
    entries = node.items()
    if entries is None:
        return
    values, paths, first_seen = [], [], {}
    for item in entries:
        before = len(item.problems)
        value = parse_entry(item, first_seen)
        if value is not None and len(item.problems) == before:
            values.append(value)
            paths.append(item.path)
    setattr(parsed.tenant, section, values)
    parsed.paths[section] = paths


def parse_outgoing(root, parsed) -> None:
    """The `outgoing:` section's presentation rules into parsed.tenant.presentation."""
    if not root.has("outgoing"):
        return
    node = root.at("outgoing")
    if node.mapping(("presentation",)) and "presentation" in node.value:
        _parse_list(node.at("presentation"), _rule, parsed, "presentation")


def parse_directory(root, parsed) -> None:
    """The `directory:` section's contacts into parsed.tenant.directory (numbers in E.164)."""
    if "directory" in root.value:
        _parse_list(root.at("directory"), _contact, parsed, "directory")


# ---- checking against the rest of the tenant --------------------------------------------------

def check_outgoing(parsed, stored, items, problems) -> None:
    """The presentation rules against the tenant as it will be (`items`: the resulting
    sections of vpbx.provisioning.rules): a file's rules by the UI's rules; stored rules
    that the file leaves keep showing numbers of the tenant."""
    owned = {item.value.number for item in items["numbers"]} \
        | {item.value.direct_number for item in items["users"] if item.value.direct_number} \
        | parsed.declared.get("numbers", set())
    known = {item.value.extension for item in items["users"]} \
        | parsed.declared.get("users", set())
    if parsed.tenant.presentation is not None:
        rule_of_extension = {}
        for rule, path in zip(parsed.tenant.presentation, parsed.paths["presentation"]):
            for key, reason in presentation.rule_problems(rule.number, rule.users, owned, known,
                                                          rule_of_extension):
                problems.add(f"{path}.{key}", reason)
            for extension in rule.users:
                rule_of_extension.setdefault(extension, rule.number)
        return
    for rule in stored.config.presentation if stored else []:
        if rule.number not in owned:
            where, what = _where_number_goes(rule.number, stored, items)
            problems.add(where, Reason("still_used_cannot_remove",
                                       item=Reason(what, key=rule.number),
                                       by=Reason("item_presentation_rule", key=rule.number)))


def _where_number_goes(number: str, stored, items) -> tuple[str, str]:
    """Where the file takes `number` away from the tenant, and what it was (the code naming
    it): a global number (the numbers section), or a user's direct number (that user, or the
    users section)."""
    if any(stored_number.number == number for stored_number in stored.config.numbers):
        return "numbers", "item_number"
    owner = next((user.extension for user in stored.config.users
                  if user.direct_number == number), None)
    path = next((item.path for item in items["users"]
                 if item.path and item.value.extension == owner), None)
    return (f"{path}.direct_number" if path else "users"), "item_direct_number"
