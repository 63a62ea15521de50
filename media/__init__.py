"""The media application: the SIP endpoint that answers calls needing one (voicemail,
announcements, voicemail access), built on PJSUA2. Kamailio sends such calls to it; rtpengine
still anchors their media on the way.

This first version answers every call on its port, plays the prompt named by the dialled
user part (a WAV in <data_dir>/prompts/, else a short tone), then hangs up. Voicemail and
announcements build on it.
"""
