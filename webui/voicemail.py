"""The Voicemail tab (guide §6): each global number's mailbox. Not available yet: the mailbox
settings (mode, PIN, greeting, e-mail) have no back end; the tab shows where the mailboxes
are used as destinations."""
from .tabs import not_yet_blueprint

bp = not_yet_blueprint("voicemail", "/voicemail", "tabs/voicemail.html")
