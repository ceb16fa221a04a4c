"""Where uploaded files' bytes live: the FileStore a runtime is given, and LocalDiskStore, the one it has.

The runtime keeps what is known about an upload (its name, type, size, hash, case and uploader) in the
`attachments` table; a store keeps only the bytes, under a key it makes (the attachment's id). Another
store (an object store, say) needs only these five operations; tests use an in-memory one.
"""
import hashlib
import os
import re
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from engine.errors import FieldError, ValidationFailed

CHUNK_BYTES = 64 * 1024
MIB = 1024 * 1024
# A key is 32 lower-case hex digits: random, so it says nothing of the file, and safe in a path or a URL.
KEY_PATTERN = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Stored:
    """What storing a stream gave: its new key, its size in bytes and its SHA-256 (hex)."""

    key: str
    size: int
    sha256: str


class FileStore(Protocol):
    """Bytes under keys: what the runtime needs of wherever uploads are kept."""

    def put(self, stream: BinaryIO, limit: int) -> Stored:
        """Store a binary stream under a new key; refuse (ValidationFailed) an empty one or one over `limit` bytes,
        keeping nothing of it."""

    def open(self, key: str) -> BinaryIO:
        """The stored bytes as a binary file object to read (the caller closes it); FileNotFoundError if none."""

    def exists(self, key: str) -> bool:
        """Whether bytes are stored under `key`."""

    def delete(self, key: str) -> None:
        """Forget the bytes under `key` (nothing happens when there are none)."""

    def location(self, key: str) -> object:
        """Where the bytes under `key` are, as this store names it (for logs and tests; read with open())."""


def new_key() -> str:
    """A fresh random key."""
    return uuid.uuid4().hex


def copy_within(stream: BinaryIO, write: Callable[[bytes], object], limit: int) -> tuple[int, str]:
    """Copy a binary stream to `write` in chunks, hashing as it goes; return (size, sha256 hex).

    More than `limit` bytes, or none, raises ValidationFailed({"file": FieldError}); what was written by
    then is the caller's to throw away.
    """
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(CHUNK_BYTES):
        size += len(chunk)
        if size > limit:
            raise ValidationFailed({"file": FieldError("file_too_large", mb=limit / MIB)})
        digest.update(chunk)
        write(chunk)
    if size == 0:
        raise ValidationFailed({"file": FieldError("file_empty")})
    return size, digest.hexdigest()


class LocalDiskStore:
    """Files in a folder of a local (or shared network) disk: <folder>/<first two characters of the key>/<key>.

    A stream is written to a temporary file in the folder first and renamed into place once complete,
    so a reader never sees half a file and a refused upload leaves nothing behind.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = folder

    def _root(self) -> Path:
        """The folder as an absolute path (a relative setting is read from the working directory)."""
        return Path(self.folder).resolve()

    def location(self, key: str) -> Path:
        """The absolute path of the file under `key`; ValueError for anything that is not a key."""
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            raise ValueError(f"{key!r} is not a file key")
        return self._root() / key[:2] / key

    def put(self, stream: BinaryIO, limit: int) -> Stored:
        """Copy the stream into the folder under a new key (see FileStore.put)."""
        root = self._root()
        root.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=root, prefix=".upload-")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                size, digest = copy_within(stream, handle.write, limit)
            key = new_key()
            target = self.location(key)
            target.parent.mkdir(exist_ok=True)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return Stored(key, size, digest)

    def open(self, key: str) -> BinaryIO:
        """The file under `key`, opened for reading in binary mode."""
        return self.location(key).open("rb")

    def exists(self, key: str) -> bool:
        """Whether the file under `key` is there."""
        return self.location(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file under `key`, if it is there."""
        self.location(key).unlink(missing_ok=True)
