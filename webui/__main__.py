"""Serve the web UI on 127.0.0.1:<webui port> with waitress (python -m webui).

Administrators' security actions (lockouts and bans lifted) are logged at INFO on standard
error, which the platform writes to webui.log; so are waitress's records (a request path is
the sender's text): one line per record, escaped (vpbx.records.log_line.OneLineFormatter)."""
from waitress import serve

from vpbx.records import log_line

from .app import create_app

log_line.log_to_stderr("%(asctime)s %(levelname)s %(name)s: %(message)s")
app = create_app()
serve(app, host="127.0.0.1", port=app.config["VPBX"].webui_port, threads=4)
