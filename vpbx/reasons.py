"""Why a rule refuses something: one table of message templates, keyed by a code.

The provisioning rules (and the audio, PIN and number-block checks they use) report a problem
as a `Reason`: a code with its parameters, e.g. `Reason("already_used", value="201",
by="users[2]")`. A Reason *is* its English text (a `str`: what `vpbx apply` prints and
CONFIG-FORMAT.md shows), so the CLI, the JSON API and the tests read it as before; the web UI
reads `code` and `params` instead and says it in the reader's language (webui.i18n.problem
translates `MESSAGES[code]` through the gettext catalogues, then fills the parameters, a
parameter that is itself a Reason, such as "group Reception", being translated too).

So a rule is reworded here, once, and the catalogue test (tests/unit/test_translations.py)
fails until its French and German follow. Templates are `str.format` strings; `N_` only marks
them for `pybabel extract` (babel.cfg).
"""


def N_(template: str) -> str:   # noqa: N802 - gettext's name for "translate later"
    """Mark a template for extraction into the catalogues; returns it unchanged."""
    return template


MESSAGES = {
    # ---- values (vpbx.provisioning.document's validators) ----
    "required": N_("required"),
    "write_in_quotes": N_("{rule} (write it in quotes)"),
    "text_length": N_("must be a text of {low} to {high} characters"),
    "control_characters": N_("must not contain control characters (line breaks, tabs, "
                             "escapes…)"),
    "slug": N_("must be 1 to 32 characters among a-z, 0-9 and -"),
    "username": N_("must be 1 to 64 characters among letters, digits, '.', '_' and '-'"),
    "domain": N_("must be a DNS name such as acme.pbx.test (letters, digits, '-', dots)"),
    "timezone_text": N_("must be a zoneinfo name such as Europe/Zurich"),
    "timezone_unknown": N_("unknown time zone {zone} (use a zoneinfo name such as "
                           "Europe/Zurich)"),
    "boolean": N_("must be true or false"),
    "integer_range": N_("must be a whole number from {low} to {high}"),
    "one_of": N_("must be one of {choices}"),
    "extension": N_("must be 2 to 6 digits"),
    "e164": N_("must be an E.164 number such as \"+41215667956\""),
    "password_length": N_("must be at least {length} characters"),
    "ip_address": N_("must be an IPv4 or IPv6 address"),
    "date": N_("must be a date YYYY-MM-DD"),
    "weekdays": N_("must be a list of at least one of {days}"),
    "weekday_unknown": N_("unknown day {day} (days are {days})"),
    "weekday_twice": N_("{day} is given twice"),
    "periods": N_("must be a list of one to three periods \"HH:MM-HH:MM\""),
    "period_form": N_("{period} is not a period \"HH:MM-HH:MM\""),
    "period_times": N_("times must be 00:00 to 24:00"),
    "period_order": N_("{period}: the start must be before the end"),
    "periods_overlap": N_("{first} and {second} overlap"),
    "extensions": N_("must be a list of extensions such as [\"7956\", \"7961\"]"),
    "listed_twice": N_("{value} is listed twice"),
    "audio_not_supported": N_("audio files are not supported yet"),
    "destination": N_("must be hangup or one of {{group: NAME}}, {{voicemail: NUMBER}}, "
                      "{{announcement: NAME}}, {{number: \"0XXXXXXXXX\"}}"),
    "external_number": N_("an external number is national such as \"0217211112\" or international "
                          "such as \"+41217211112\" (with the 0 for an outside line where the "
                          "access code is on)"),
    # ---- the shape of a document ----
    "cannot_read_file": N_("cannot read the file: {error}"),
    "not_yaml": N_("not valid YAML: {error}"),
    "mapping": N_("must be a mapping with the keys {keys}"),
    "unknown_key": N_("unknown key (expected one of: {keys})"),
    "list": N_("must be a list (write [] for none)"),
    "document_kind": N_("must be either a platform file (top-level key platform:) or a tenant "
                        "file (top-level key tenant:)"),
    # ---- items and how problems name them ----
    "item_user": N_("user {key}"),
    "item_time_range": N_("time range {key}"),
    "item_holiday": N_("holiday {key}"),
    "item_group": N_("group {key}"),
    "item_number": N_("number {key}"),
    "item_direct_number": N_("direct number {key}"),
    "item_presentation_rule": N_("presentation rule {key}"),
    "item_ringback": N_("ringback tone {key}"),
    "item_announcement": N_("announcement {key}"),
    "the_music_on_hold": N_("the music on hold"),
    "with_other": N_("{other}: {reason}"),
    # ---- the tenant file's rules (vpbx.provisioning.rules) ----
    "one_day_or_period": N_("give either date (one day) or from and to (a period), not both"),
    "not_before_from": N_("must not be before from"),
    "cycles_only_cyclic": N_("only cyclic and random groups have cycles"),
    "range_routed_twice": N_("{range} is already routed by {route}"),
    "already_used": N_("{value} is already used by {by}"),
    "same_as": N_("the same as {other}"),
    "no_user": N_("no user has the extension {extension}"),
    "no_group": N_("no group is named {name}"),
    "not_tenant_number": N_("{number} is not one of this tenant's numbers"),
    "no_time_range": N_("no time range is named {name}"),
    "still_used_cannot_remove": N_("{item} cannot be removed: {by} still uses it"),
    "number_of_tenant": N_("{number} is already in use by tenant {tenant}"),
    "number_of_other_subscriber": N_("{number} is already in use by another subscriber of the "
                                     "platform"),
    "number_not_assigned": N_("{number} is not assigned to this tenant (the platform operator "
                              "assigns the numbers a tenant may use)"),
    "domain_needs_passwords": N_("changing the domain needs every user's password (list the "
                                 "users with their passwords)"),
    "domain_needs_passwords_of": N_("changing the domain needs every user's password (missing "
                                    "for {extensions})"),
    "password_new_user": N_("required for a new user"),
    "password_new_username": N_("required to change the username (the SIP digest depends on "
                                "it)"),
    "password_no_account": N_("required: this user has no SIP account yet"),
    "required_new_tenant": N_("required for a new tenant"),
    "domain_taken": N_("{domain} is already the domain of tenant {tenant}"),
    "numbers_mapping": N_("must be a mapping of tenants to their numbers, such as {{acme: "
                          "[\"+41215667955\", \"+41215667900-+41215667999\"]}}"),
    # ---- changes from the web UI (vpbx.provisioning.edit, edit_audio) ----
    "cannot_delete_still_used": N_("{item} cannot be deleted: {by} still uses it"),
    "office_hours_name": N_("the name of Office hours cannot be changed"),
    "office_hours_delete": N_("Office hours cannot be deleted, only edited"),
    "database_refused": N_("the database refused the change ({error}); nothing was changed"),
    "configuration_busy": N_("another vpbx command is changing the configuration; try again "
                             "(nothing was changed)"),
    "no_tenant": N_("no tenant {tenant}"),
    "cannot_delete_used": N_("{item} cannot be deleted: {by} uses it"),
    "pins_differ": N_("the two PINs differ"),
    # ---- number blocks and their assignment (vpbx.model.number_blocks, assignments) ----
    "block": N_("must be an E.164 number (\"+41215667955\"), a range of numbers of the same "
                "length (\"+41215667900-+41215667999\") or a prefix (\"+4121566*\")"),
    "block_order": N_("{block}: the first number must not be after the last"),
    "block_overlap": N_("{block} overlaps {other} (assigned to {tenant})"),
    "block_in_use": N_("{number} must stay assigned to tenant {tenant}: its {use} uses it"),
    "number_still_used": N_("{number} is still used by {use}"),
    "use_user": N_("user {detail}"),
    # ---- audio files and voicemail (vpbx.audio.files, media_rules, voicemail.store) ----
    "file_empty": N_("the file is empty"),
    "file_too_big": N_("the file is {size} MB: at most 4 MB is accepted"),
    "not_audio": N_("not a WAV or MP3 file (its content is neither, whatever its name)"),
    "cannot_read_audio": N_("cannot read the file: {error}"),
    "not_decodable": N_("the file cannot be decoded as audio (damaged or not really WAV/MP3)"),
    "no_audio": N_("the file holds no audio"),
    "too_long": N_("the file lasts more than {minutes} minutes"),
    "cannot_read_named": N_("cannot read {name}: {error}"),
    "named_file": N_("{name}: {reason}"),
    "too_many_files": N_("at most {count} files of each kind ({given} given)"),
    "selected_only_music": N_("only music on hold has a selected file"),
    "one_music_selected": N_("only one music on hold can be selected (selected: true)"),
    "no_ringback": N_("no ringback tone is named {name}"),
    "no_announcement": N_("no announcement is named {name}"),
    "voicemail_disabled": N_("the voicemail of {number} is disabled: it cannot be a "
                             "destination"),
    "voicemail_in_use": N_("the voicemail of {number} cannot be disabled: {by} sends calls "
                           "to it"),
    "pin": N_("must be 4 digits in quotes, such as \"4821\""),
    "pin_repeated_digit": N_("a PIN of one repeated digit is too easy to guess"),
    "pin_consecutive": N_("a PIN of consecutive digits is too easy to guess"),
    "pin_repeated_pairs": N_("a PIN of repeated pairs is too easy to guess"),
    "choose_another": N_("{reason}; choose another"),
    "email": N_("must be an e-mail address such as desk@acme.test"),
    # ---- outgoing calls: presentation rules and the directory ----
    "contact_text": N_("must be a text of 1 to 128 characters"),
    "phone_number": N_("must be a telephone number such as \"+41219876543\""),
    "short_code_text": N_("must be 1 to 6 digits, such as \"3435\" (dialled as ##3435)"),
    "contact_name": N_("required, at most 128 characters"),
    "contact_number": N_("must be a telephone number (+41 21 987 65 43 or 021 987 65 43)"),
    "short_code": N_("must be 1 to 6 digits (dialled as ##code)"),
    "not_company_number": N_("{number} is not one of your company's numbers: choose a global "
                             "number or a user's direct number"),
    "choose_a_user": N_("choose at least one user"),
    "no_such_users": N_("no user {extensions}"),
    "user_has_rule": N_("{extensions} already has a rule ({numbers})"),
    "users_have_rule": N_("{extensions} already have a rule ({numbers})"),
    "short_code_taken": N_("##{code} is already used by another contact"),
    "short_code_twice": N_("##{code} appears twice"),
    "field_reason": N_("{field}: {reason}"),
    "csv_line": N_("line {line}: {reason}"),
    "csv_columns": N_("expected name, number and an optional short code"),
    "no_contact": N_("the file has no contact"),
    "too_many_contacts": N_("at most {count} contacts at a time"),
}


_ITEM_CODES = {"users": "item_user", "time_ranges": "item_time_range",
               "holidays": "item_holiday", "groups": "item_group", "numbers": "item_number"}


class Reason(str):
    """A problem's reason: its English text, carrying the code and parameters it is made
    of (see the module doc). Parameters are texts, numbers, Reasons, or lists of those
    (written "a, b, c")."""
    code: str
    params: dict

    def __new__(cls, code: str, /, **params) -> "Reason":
        self = super().__new__(cls, MESSAGES[code].format(**{
            name: ", ".join(value) if isinstance(value, (list, tuple)) else value
            for name, value in params.items()}))
        self.code, self.params = code, params
        return self

    def __reduce__(self):
        return _rebuild, (self.code, self.params)


def _rebuild(code: str, params: dict) -> Reason:
    """A Reason back from a pickle (a str subclass with keyword arguments needs it)."""
    return Reason(code, **params)


def item_name(section: str, key) -> Reason:
    """How a problem names an item of a tenant file's section: "group Reception"."""
    return Reason(_ITEM_CODES[section], key=key)
