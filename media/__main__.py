"""Run the media application for the platform configuration ($VPBX_CONFIG)."""
import logging
import signal

from vpbx import config

from . import prompts
from .app import MediaApp

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
cfg = config.load()
made = prompts.generate(cfg.data_dir)      # only what is missing (set-up made the rest)
if made:
    logging.getLogger("vpbx.media").info("%d prompts generated in %s", made,
                                         prompts.prompt_dir(cfg.data_dir))
app = MediaApp(cfg)


def _stop(signum, frame):
    app.running = False


signal.signal(signal.SIGTERM, _stop)
signal.signal(signal.SIGINT, _stop)
app.run()
