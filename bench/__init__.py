"""`make bench`: call and registration rates of the platform's SIP edge, next to a native
Kamailio baseline (see bench/run.py)."""
