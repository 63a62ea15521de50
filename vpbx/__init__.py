"""The Virtual PBX's shared core: configuration, database access, decision logic, `vpbx` CLI.

Everything here is plain Python (no KSR import): Kamailio's KEMI script, the web UI, the
media application and the tests all import it, so they share one configuration source and
one implementation of every rule.
"""
