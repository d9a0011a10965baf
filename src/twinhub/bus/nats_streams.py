"""Where a store's events live in JetStream (see `twinhub.bus.nats`): the stream and subjects of its epoch,
how that stream is set up, the message id that makes JetStream store an event once, and a look at the
latest events of an epoch."""

from __future__ import annotations

import asyncio
import hashlib
import re
from typing import Final

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

from twinhub.bus.base import Event
from twinhub.bus.codec import decode_event, event_key
from twinhub.model.errors import ServiceUnavailable
from twinhub.model.events import ConnectionEvent, ThingEvent
from twinhub.model.ids import is_valid_namespace

__all__ = [
    "DEFAULT_STREAM",
    "DEFAULT_SUBJECT_PREFIX",
    "EPOCH_HEADER",
    "MESSAGE_ID_HEADER",
    "ensure_stream",
    "epoch_names",
    "event_subject",
    "message_id",
    "recent_events",
    "stream_config",
]

DEFAULT_STREAM: Final = "TWINHUB_EVENTS"
DEFAULT_SUBJECT_PREFIX: Final = "twinhub.events"
MESSAGE_ID_HEADER: Final = "Nats-Msg-Id"
EPOCH_HEADER: Final = "Twinhub-Epoch"

# Stream names and subject tokens: no whitespace, no wildcards; stream names no dots or path separators.
_STREAM_NAME = re.compile(r"[^\s.*>/\\]+")
_SUBJECT_TOKEN = re.compile(r"[^\s.*>]+")
_EPOCH = re.compile(r"[0-9A-Za-z_-]{1,64}")  # fits in a stream name and in a subject token


def epoch_names(stream: str, subject_prefix: str, epoch: str) -> tuple[str, str]:
    """The stream and subject prefix of `epoch`'s events: `<stream>_<epoch>` and `<prefix>.<epoch>`.

    Raises ValueError for names a stream or subject cannot have.
    """
    if not _STREAM_NAME.fullmatch(stream):
        raise ValueError(f"invalid stream name {stream!r}")
    if not all(_SUBJECT_TOKEN.fullmatch(token) for token in subject_prefix.split(".")):
        raise ValueError(f"invalid subject prefix {subject_prefix!r}")
    if not _EPOCH.fullmatch(epoch):
        raise ValueError(f"invalid epoch {epoch!r}")
    return f"{stream}_{epoch}", f"{subject_prefix}.{epoch}"


def stream_config(name: str, subject_prefix: str, *, max_age_seconds: float, max_bytes: int,
                  duplicate_window_seconds: float, replicas: int) -> StreamConfig:
    """The stream `name` of one epoch's events, on `<subject_prefix>.>`: kept up to an age and a size, the
    oldest discarded first, on file."""
    return StreamConfig(
        name=name,
        subjects=[f"{subject_prefix}.>"],
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        storage=StorageType.FILE,
        max_age=max_age_seconds,
        max_bytes=max_bytes,
        duplicate_window=duplicate_window_seconds,
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> bool:
    """Create the stream of `config`, or reuse one of that name (as configured) if it captures its subject.

    Returns whether a gap in the stream's sequence numbers means lost events: consecutive sequences mean
    nothing was lost only if the stream holds nothing else. Raises ValueError when a stream of that name
    does not capture the subject; NATS errors pass through.
    """
    assert config.name is not None and config.subjects
    subject = config.subjects[0]
    try:
        info = await js.stream_info(config.name)
    except nats.js.errors.NotFoundError:
        try:
            await _add_stream(js, config)
            return True
        except nats.js.errors.BadRequestError:  # another worker created it meanwhile, configured otherwise
            info = await js.stream_info(config.name)
    subjects = info.config.subjects or []
    if subject not in subjects:
        raise ValueError(f"the stream {config.name!r} exists but does not capture {subject!r}")
    return subjects == [subject]


# A NATS server removes an account's stream directory when its last stream is deleted; a stream created at that
# moment fails with a 500 ("error creating store for stream", seen with nats-server 2.9 when other deployments
# delete their streams). It is transient: a few quick attempts more, then the error passes through.
_ADD_ATTEMPTS: Final = 4


async def _add_stream(js: JetStreamContext, config: StreamConfig) -> None:
    for attempt in range(_ADD_ATTEMPTS):
        try:
            await js.add_stream(config)
            return
        except nats.js.errors.ServerError as exc:
            if exc.code != 500 or attempt == _ADD_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.05 * 2**attempt)


def event_subject(prefix: str, event: Event) -> str:
    """`<prefix>.things|policies|connections.<namespace>.<hash of the name>`: names may hold any character,
    subjects not.

    The namespace keeps its dots, so `<prefix>.things.org.example.*` is exactly namespace `org.example`;
    the empty namespace is `_` (no namespace starts with `_`).
    """
    if isinstance(event, ThingEvent):
        kind, entity_id = "things", event.thing_id
    elif isinstance(event, ConnectionEvent):
        kind, entity_id = "connections", event.connection_id
    else:
        kind, entity_id = "policies", event.policy_id
    namespace, _, name = entity_id.partition(":")
    if not namespace:
        namespace = "_"
    elif not is_valid_namespace(namespace):  # an id that bypassed validation still gets a valid subject
        namespace = "_" + _digest(namespace)
    return f"{prefix}.{kind}.{namespace}.{_digest(name)}"


def message_id(epoch: str, event: Event) -> str:
    """`<epoch>:<kind>:<id>:<revision>`, the same for every publish of one event by one store."""
    kind, entity_id, revision = event_key(event)
    return f"{epoch}:{kind}:{entity_id}:{revision}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


async def recent_events(url: str, *, epoch: str, stream: str = DEFAULT_STREAM,
                        subject_prefix: str = DEFAULT_SUBJECT_PREFIX, limit: int = 100,
                        timeout_seconds: float = 10.0) -> list[Event]:
    """The latest `limit` events `epoch`'s stream holds, latest first (none when it has no stream yet).

    Raises ServiceUnavailable when NATS does not answer within `timeout_seconds`.
    """
    name, _prefix = epoch_names(stream, subject_prefix, epoch)
    client = Client()
    events: list[Event] = []
    try:
        async with asyncio.timeout(timeout_seconds):
            await client.connect(url, name="twinhub", allow_reconnect=False)
            js = client.jetstream()
            try:
                state = (await js.stream_info(name)).state
            except nats.js.errors.NotFoundError:
                return events
            sequence = state.last_seq
            while sequence >= max(state.first_seq, 1) and len(events) < limit:
                try:
                    message = await js.get_msg(name, sequence)
                except nats.js.errors.NotFoundError:  # deleted meanwhile
                    message = None
                sequence -= 1
                if message is not None and message.data and (message.headers or {}).get(EPOCH_HEADER) == epoch:
                    try:
                        events.append(decode_event(message.data))
                    except ValueError:
                        continue  # not an event: nothing to compare
    except (TimeoutError, nats.errors.Error, OSError) as exc:
        where = url.rpartition("@")[2]  # never log credentials
        raise ServiceUnavailable(f"The event bus at {where} could not be read.") from exc
    finally:
        await client.close()
    return events
