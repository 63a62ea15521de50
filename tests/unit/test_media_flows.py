"""The greeting recorded by phone (media/flows.py, SPEC F5.4) followed action by action, without
a SIP stack: what the owner hears when nothing usable was recorded or the greeting cannot be
saved, and that the recording never stays behind. (Recording one for real, with phones and
the whole platform, is tests/media/test_remote_access.py.)"""
import os

import pymysql
import pytest

from media import flows, prompts
from media.actions import Background, CloseRecording, Collect, Play, Record

BOX = {"tenant": "voxco", "number": "+41215558007", "language": "en", "box_id": 7,
       "timezone": "Europe/Zurich"}


class Context:
    """What a flow uses of media.app.FlowContext: folders, events, the database."""

    def __init__(self, folder):
        self.data_dir = str(folder)
        self.tmp_dir = os.path.join(self.data_dir, "tmp")
        os.makedirs(self.tmp_dir)
        self.events = []
        for name in ("record_greeting", "greeting_unchanged", "greeting_saved",
                     "greeting_not_saved", "greeting_option", "no_new_messages",
                     "no_more_messages", "goodbye"):
            prompts.tone_wav(prompts.path(self.data_dir, name, "en"), 500, 0.2)
        prompts.tone_wav(prompts.path(self.data_dir, "beep"), 1000, 0.2)

    def event(self, decision, outcome, warning=False, **extra):
        self.events.append((decision, outcome, extra))

    def db(self, work):
        return []                     # no messages in the mailbox

    def said(self, action) -> list[str]:
        """The prompt names a Play action says."""
        return [os.path.splitext(os.path.basename(part))[0] for part in action.parts]


def record(ctx, seconds):
    """Start record_greeting, let the owner speak `seconds` then press #; the flow and the
    action that follows the closed recording."""
    flow = flows.record_greeting(ctx, BOX)
    instructions = next(flow)
    assert ctx.said(instructions) == ["record_greeting", "beep"]
    action = flow.send(None)
    assert isinstance(action, Record) and action.stop_keys == "#"
    assert action.max_seconds == flows.MAX_GREETING_SECONDS
    prompts.tone_wav(action.path, 700, seconds)
    assert isinstance(flow.send("key"), CloseRecording)
    return flow, flow.send(True), action.path


def test_a_recording_too_short_leaves_the_greeting_unchanged(tmp_path):
    ctx = Context(tmp_path)
    flow, action, path = record(ctx, 0.4)
    assert ctx.said(action) == ["greeting_unchanged"]
    with pytest.raises(StopIteration):
        flow.send(None)
    assert ("greeting", "too_short", {"number": BOX["number"], "seconds": "0.4"}) in ctx.events
    assert not os.path.exists(path)


def test_a_greeting_that_is_refused_or_meets_a_database_error_is_said_not_saved(tmp_path):
    ctx = Context(tmp_path)
    flow, action, path = record(ctx, 2.0)
    assert isinstance(action, Background)          # stored away from the media loop
    assert ctx.said(flow.send(["another vpbx command is changing the configuration"])) == \
        ["greeting_not_saved"]
    flow.close()
    assert not os.path.exists(path)
    flow, action, path = record(ctx, 2.0)
    said = flow.throw(pymysql.err.OperationalError(2003, "Can't connect"))
    assert ctx.said(said) == ["greeting_not_saved"]
    assert [outcome for decision, outcome, _ in ctx.events] == ["recording", "not_saved",
                                                                "recording", "not_saved"]


def test_a_saved_greeting_is_confirmed(tmp_path):
    ctx = Context(tmp_path)
    flow, action, path = record(ctx, 2.0)
    assert ctx.said(flow.send([])) == ["greeting_saved"]
    decision, outcome, extra = ctx.events[-1]
    assert (decision, outcome, extra["ended_by"]) == ("greeting", "saved", "key")
    assert 1900 <= extra["duration_ms"] <= 2100


def test_the_key_after_the_message_count_starts_the_recording(tmp_path):
    ctx = Context(tmp_path)
    flow = flows.listen(ctx, BOX)
    count = next(flow)
    assert isinstance(count, Play) and ctx.said(count) == ["no_new_messages", "greeting_option"]
    assert isinstance(flow.send("0"), Collect)     # the digit typed during the prompt
    assert ctx.said(flow.send(flows.GREETING_KEY)) == ["record_greeting", "beep"]
    flow = flows.listen(ctx, BOX)
    next(flow)
    flow.send(None)
    goodbye = flow.send("")                         # nothing typed: on to the messages
    assert ctx.said(goodbye) == ["no_more_messages", "goodbye"]


def test_a_callers_number_is_said_with_its_ascii_digits_only(tmp_path):
    """A caller ID from outside may carry other scripts' digits ("٢"): they have no prompt
    and are left out, the ASCII ones are said."""
    import datetime
    ctx = Context(tmp_path)
    for name in ("from", "n1", "n4", "n5"):
        prompts.tone_wav(prompts.path(ctx.data_dir, name, "en"), 500, 0.1)
    message = {"caller": "+41\u0662\u0661 5",
               "received_at": datetime.datetime(2027, 3, 24, 8, 15)}
    said = [os.path.splitext(os.path.basename(part))[0]
            for part in flows.message_header(ctx, BOX, message)]
    assert said[said.index("from") + 1:] == ["n4", "n1", "n5"]     # no tone for ٢ and ١
