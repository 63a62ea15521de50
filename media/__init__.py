"""The media application: the SIP endpoint that answers calls needing one, built on PJSUA2.
Kamailio (and only Kamailio) sends such calls to it; rtpengine still anchors their media.

    app.py       the PJSUA2 endpoint, calls and their actions (play, collect digits, record)
    flows.py     what a caller hears and does: voicemail deposit and remote access,
                 announcements
    actions.py   the actions a flow asks for
    prompts.py   system prompts (FR/EN/DE, spoken by espeak-ng at set-up) and sounds

`python -m media` runs it for the platform configuration; it also sends voice-to-mail
(vpbx.voicemail.mail) in a background thread. Music on hold and ringback tones are played by
rtpengine (kemi/media.py), not here.
"""
