"""The destinations a call can be sent to, as the forms offer them (groups, the voicemail of
each global number, the announcements, an external number, ending the call)."""
from .i18n import _


def destination_choices(config) -> list[tuple[str, list[tuple[str, str]]]]:
    """(group label, [(value, label)]) of a destination <select>; see crud.destination_entry."""
    groups = [(f"group:{group.name}", f"{group.name} ({group.short_number})")
              for group in sorted(config.groups or [], key=lambda group: group.name.lower())]
    boxes = [(f"voicemail:{number.number}", _("Voicemail of {number}", number=number.number))
             for number in config.numbers or []]
    announcements = [(f"announcement:{item.name}", item.name)
                     for item in config.audio or [] if item.kind == "announcement"]
    other = [("number", _("Forward to a number…")), ("hangup", _("End the call"))]
    return [(_("Groups"), groups), (_("Voicemail"), boxes), (_("Announcements"), announcements),
            (_("Other"), other)]
