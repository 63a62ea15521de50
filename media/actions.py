"""What a call's flow asks of the media application, one step at a time.

A flow (media/flows.py) is a generator: it yields one of these actions, and the application
resumes it with the action's result once the action is over. Flows are plain Python, so
they can be followed (and tested) without a SIP stack.
"""
from dataclasses import dataclass, field


class CallEnded(Exception):
    """Thrown into a flow when the caller hung up while it waited for an action."""


@dataclass
class Play:
    """Play WAV files one after the other. `interrupt`: digits that stop the playing (the
    result is the digit, else None when it played to its end); "any" stops on any digit
    and keeps it for the next Collect."""
    parts: list
    interrupt: str = ""
    loop: bool = False


@dataclass
class Collect:
    """Play `prompt` (digits typed during it count), then wait for up to `count` digits;
    `#` ends early. The result is the digits typed ("" if none in time)."""
    count: int
    prompt: list = field(default_factory=list)
    timeout: float = 8.0


@dataclass
class Record:
    """Record what the caller says into `path` until they hang up ("hangup"),
    `max_seconds` passed ("max"), or they type one of `stop_keys` ("key"). Other digits
    typed while recording are dropped."""
    path: str
    max_seconds: float
    stop_keys: str = ""


@dataclass
class CloseRecording:
    """Finish the WAV file of the last Record (also after the caller hung up); the result
    is True when the file is complete."""
    timeout: float = 3.0


@dataclass
class Background:
    """Run `work(connection)` in a worker thread, away from the media loop, with a database
    connection of its own (opened and closed around it): for work that takes long, such as
    converting and storing an audio file. The result is what `work` returns (an exception
    it raises is thrown into the flow). It runs to its end even if the caller hangs up."""
    work: object


@dataclass
class Hangup:
    """End the call (the flow ends with it)."""
