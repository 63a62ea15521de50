"""The tenant administrators' web UI and its JSON API (Flask + Jinja2). `app.create_app()`
builds it.

Server-rendered pages, one blueprint per tab of the guide (numbers, time ranges, groups,
voicemail, outgoing calls, melodies, announcements, directory) plus users, the call-flow
preview, the activity monitor, the accounts (auth), the platform operators' pages and the
API under /api/v1. Every change goes through vpbx.provisioning.edit, i.e. through the same checks
and writes as `vpbx apply`.
"""
