"""Serve the web UI on 127.0.0.1:<webui port> with waitress (python -m webui)."""
from waitress import serve

from . import create_app

app = create_app()
serve(app, host="127.0.0.1", port=app.config["VPBX"].webui_port, threads=4)
