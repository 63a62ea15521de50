"""The pages every section of the configuration has: list, add, edit, delete, print.

A tab (users, groups, numbers, time ranges) subclasses `SectionPages`, saying how an item
is shown in its form (`values_of`) and how a submitted form becomes a tenant-file entry
(`entry_from`); the rest — finding the item by id in the signed-in tenant only (404
otherwise), saving through vpbx.provisioning.edit (the provisioning rules), showing the problems
next to their fields, refusing to delete what is still used — is the same for all.
"""
from flask import abort, flash, g, redirect, render_template, request, url_for

from vpbx.provisioning import edit
from vpbx.model.numbers import destination_number, is_ascii_digits, tenant_country_code
from vpbx.model.tenant import key_of

from . import dbconn
from .i18n import _, problem


def read_config():
    """The signed-in tenant's configuration (vpbx.model.tenant.Tenant)."""
    stored = edit.read_config(dbconn.get_db(), g.tenant["slug"])
    if stored is None:
        abort(404)
    return stored.config


def errors_by_field(problems, fields) -> dict:
    """Problems as {field: [messages]}; those about no field of the form under None."""
    errors = {}
    for item in problems:
        name = item.field if item.field in fields else None
        errors.setdefault(name, []).append(problem(item.reason))
    return errors


def flash_outcome(outcome, done: str) -> None:
    """Say what a change did, or why it was refused."""
    if outcome.ok:
        flash(done if outcome.changes else _("Nothing to change."), "ok")
    else:
        for item in outcome.problems:
            flash(problem(item.reason), "error")


def destination_entry(form, prefix: str):
    """A destination field pair of a form (`prefix` select, `prefix_number` text) as a
    tenant-file destination: "hangup", {"group": NAME}, {"voicemail": N}, {"number": N}."""
    choice = form.get(prefix) or "hangup"
    if choice == "number":
        return {"number": "".join((form.get(f"{prefix}_number") or "").split())}
    kind, _sep, target = choice.partition(":")
    if kind in ("group", "voicemail", "announcement") and target:
        return {kind: target}
    return "hangup"


def typed_external_numbers(form) -> list[tuple[str, str]]:
    """(destination field, number as typed) of the form's destinations to an external number."""
    return [(name, form.get(f"{name}_number", "").strip()) for name in form
            if form.get(name) == "number" and f"{name}_number" in form]


def external_number_problems(form, config, fields) -> dict:
    """Errors of the external numbers the form gives that are no telephone number: a form
    stores only what it understood (a tenant file keeps its wider rule)."""
    errors = {}
    for name, typed in typed_external_numbers(form):
        if destination_number(typed, access_code=bool(config.access_code),
                              country_code=tenant_country_code()) is None:
            field = name if name in fields else ("routes" if "routes" in fields else None)
            errors.setdefault(field, []).append(
                _("{typed} is not a telephone number: give a national number such as "
                  "021 721 11 12 or an international one such as +41 21 721 11 12")
                .format(typed=typed or '""'))
    return errors


def flash_understood_numbers(form, config) -> None:
    """Show each external number as typed and as it is stored: "021 721 11 12 → +41217211112"."""
    for _name, typed in typed_external_numbers(form):
        number = destination_number(typed, access_code=bool(config.access_code),
                                    country_code=tenant_country_code())
        if number:
            flash(_("External number {typed} → {number}").format(typed=typed, number=number),
                  "ok")


def destination_values(destination, prefix: str) -> dict:
    """The form values that show a destination."""
    if destination.kind == "number":
        return {prefix: "number", f"{prefix}_number": destination.target}
    if destination.kind in ("group", "voicemail", "announcement"):
        return {prefix: f"{destination.kind}:{destination.target}"}
    return {prefix: "hangup"}


def number_or_text(text: str | None):
    """A form's whole number as an int (the rules want numbers), anything else as given so
    that the rule says what is wrong with it. Only ASCII digits are a number: int() would
    also read "٤٠١" (Arabic-Indic) or "４０１" (full-width) as 401."""
    text = (text or "").strip()
    return int(text) if is_ascii_digits(text) and len(text) < 10 else text


class SectionPages:
    """The pages of one section; see the module doc. Subclasses set the class attributes
    and override the hooks."""
    section = ""
    noun = ""                 # English, translated: "group"
    fields: tuple = ()        # the form's fields (problems on others go on top of the form)
    multi: tuple = ()         # fields with several values (checkboxes, lists)
    list_template = ""
    form_template = ""

    def __init__(self, bp):
        self.bp = bp
        bp.add_url_rule("/", "index", self.index)
        bp.add_url_rule("/print", "print_all", self.print_all)
        bp.add_url_rule("/new", "new", self.edit, methods=["GET", "POST"],
                        defaults={"item_id": None})
        bp.add_url_rule("/<int:item_id>", "edit", self.edit, methods=["GET", "POST"])
        bp.add_url_rule("/<int:item_id>/print", "print_one", self.print_one)
        bp.add_url_rule("/<int:item_id>/delete", "delete", self.delete, methods=["POST"])

    # ---- hooks ----
    def values_of(self, item, config) -> dict:
        """The form's values showing `item`."""
        raise NotImplementedError

    def empty_values(self, config) -> dict:
        """The form's values for a new item."""
        return {}

    def entry_from(self, form, config, old) -> tuple[dict, dict]:
        """(tenant-file entry, {field: [messages]} of checks only the form has)."""
        raise NotImplementedError

    def context(self, config) -> dict:
        """More template values for the list and the form."""
        return {}

    # ---- views ----
    def _ids(self) -> dict:
        return edit.item_ids(dbconn.get_db(), g.tenant["id"], self.section)

    def _find(self, item_id: int, config):
        """The tenant's item with this id; 404 when the tenant has none (another tenant's
        id included)."""
        key = edit.find_item(dbconn.get_db(), g.tenant["id"], self.section, item_id)
        item = next((item for item in getattr(config, self.section) or []
                     if key is not None and key_of(self.section, item) == key), None)
        if item is None:
            abort(404)
        return item

    def _render_list(self, printing: bool, only=None):
        config = read_config()
        ids = self._ids()
        items = [(ids.get(key_of(self.section, item)), item)
                 for item in getattr(config, self.section) or []
                 if only is None or item == only]
        return render_template(self.list_template, config=config, items=items,
                               printing=printing, **self.context(config))

    def index(self):
        return self._render_list(printing=False)

    def print_all(self):
        return self._render_list(printing=True)

    def print_one(self, item_id: int):
        return self._render_list(printing=True, only=self._find(item_id, read_config()))

    def edit(self, item_id: int | None):
        config = read_config()
        old = self._find(item_id, config) if item_id is not None else None
        errors, status = {}, 200
        if request.method == "POST":
            entry, errors = self.entry_from(request.form, config, old)
            for name, messages in external_number_problems(request.form, config,
                                                           self.fields).items():
                errors.setdefault(name, []).extend(messages)
            if not errors:
                outcome = edit.save_item(
                    dbconn.get_db(), g.tenant["slug"], self.section,
                    key_of(self.section, old) if old is not None else None, entry)
                if outcome.ok:
                    flash_outcome(outcome, _("Saved."))
                    flash_understood_numbers(request.form, config)
                    return redirect(url_for(".index"))
                errors = errors_by_field(outcome.problems, self.fields)
            values = {name: (request.form.getlist(name) if name in self.multi
                             else request.form.get(name, "")) for name in request.form}
            status = 422
        else:
            values = self.values_of(old, config) if old is not None \
                else self.empty_values(config)
        return render_template(self.form_template, config=config, item=old, item_id=item_id,
                               values=values, errors=errors,
                               **self.context(config)), status

    def delete(self, item_id: int):
        config = read_config()
        item = self._find(item_id, config)
        outcome = edit.delete_item(dbconn.get_db(), g.tenant["slug"], self.section,
                                   key_of(self.section, item))
        flash_outcome(outcome, _("Deleted."))
        return redirect(url_for(".index"))
