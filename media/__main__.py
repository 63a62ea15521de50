"""Run the media application for the platform configuration ($VPBX_CONFIG).

Its log (standard error, media.log) has one line per record, escaped: a caller's Call-ID or
URI cannot plant a line (vpbx.records.log_line.OneLineFormatter)."""
import logging
import signal

from vpbx.settings import platform
from vpbx.records import log_line

from . import prompts
from .app import MediaApp

log_line.log_to_stderr("%(asctime)s %(name)s %(levelname)s %(message)s")
cfg = platform.load()
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
