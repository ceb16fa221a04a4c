"""An in-memory FileStore for tests: a runtime's uploads without a disk."""
import io

from engine.filestore import Stored, copy_within, new_key


class MemoryStore:
    """Bytes in a dict under keys made as LocalDiskStore makes them; a key's location is "memory:<key>"."""

    def __init__(self):
        self.files = {}

    def put(self, stream, limit):
        """Keep the stream's bytes under a new key (refusals as LocalDiskStore's, keeping nothing)."""
        buffer = bytearray()
        size, digest = copy_within(stream, buffer.extend, limit)
        key = new_key()
        self.files[key] = bytes(buffer)
        return Stored(key, size, digest)

    def open(self, key):
        """The bytes under `key` as a binary file object."""
        if key not in self.files:
            raise FileNotFoundError(key)
        return io.BytesIO(self.files[key])

    def exists(self, key):
        """Whether bytes are kept under `key`."""
        return key in self.files

    def delete(self, key):
        """Forget the bytes under `key`, if any."""
        self.files.pop(key, None)

    def location(self, key):
        """The key as this store names it."""
        return f"memory:{key}"
