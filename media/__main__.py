"""Run the media application for the platform configuration ($VPBX_CONFIG)."""
import logging
import signal

from vpbx import config

from .app import MediaApp

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
cfg = config.load()
app = MediaApp(cfg.sip_address, cfg.media_port, cfg.data_dir)


def _stop(signum, frame):
    app.running = False


signal.signal(signal.SIGTERM, _stop)
signal.signal(signal.SIGINT, _stop)
app.run()
