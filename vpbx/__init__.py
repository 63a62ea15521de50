"""The Virtual PBX's shared core, one package per concern (plain Python, no KSR import):

    engine/        the routing decision: time ranges, ring plans, dial plan, the call plan
    model/         a tenant's configuration as values: users, groups, numbers, names
    provisioning/  tenant and platform files: read, checked, written, exported, edited
    storage/       database connections, schema migrations, what the routing reads
    edge/          the SIP edge's protections: password and flood guards, backlog, contacts
    live/          the running Kamailio's state: registrations, calls, bans, the monitor
    records/       call records and the NOC's log lines
    audio/, voicemail/   audio files; mailboxes, messages, voice-to-mail
    settings/      the platform's one configuration file (vpbx.conf)
    stack/         starting and supervising the processes of one instance
    command/       the `vpbx` command
    reasons.py     why a rule refuses something: problem codes and their English templates

Kamailio's KEMI script, the web UI, the media application and the tests all import it, so
they share one configuration source and one implementation of every rule.
"""
import os

PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
