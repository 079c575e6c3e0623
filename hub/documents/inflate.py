"""Inflating a zip-based upload (DOCX, ODT) while it streams past, under hard caps: the sizes an archive declares
are never trusted.

:class:`ZipInflater` walks the local entries in the order they arrive (local header, data, optional data
descriptor) and inflates each deflated entry with :func:`zlib.decompressobj`, at most :data:`OUT_STEP` bytes of
output per call (``max_length``), counting what comes out and discarding it. It refuses, as soon as the stream
shows it:

- more than :data:`~hub.documents.sniff.MAX_TOTAL_UNCOMPRESSED` bytes of output in total (a hard cap);
- an entry that inflates more than :data:`~hub.documents.sniff.MAX_RATIO` times its compressed bytes (after the
  first :data:`~hub.documents.sniff.RATIO_GRACE_BYTES` of output, which small XML parts may exceed);
- sizes or a CRC in a local header or data descriptor that differ from what the data really gives;
- encrypted entries, methods other than stored/deflate, a stored entry without sizes, more entries than
  :data:`~hub.documents.sniff.MAX_ENTRIES`, and (in :meth:`ZipInflater.check`) anything after the entries that is
  not a zip record.

After the last entry, :meth:`ZipInflater.check` compares the number of entries and the total output with what the
central directory declares (:class:`~hub.documents.sniff.ZipSummary`): a directory that under-declares its sizes is
refused too, and a bomb that under-declares is stopped by the caps long before its end. Nothing inflated is kept.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from typing import Protocol

OUT_STEP = 1024 * 1024  # at most this much output per decompress call: memory stays small whatever the ratio

_LOCAL = struct.Struct("<4s5H3I2H")  # 30 bytes
_LOCAL_SIG = b"PK\x03\x04"
_DESCRIPTOR_SIG = b"PK\x07\x08"
_AFTER_ENTRIES = (b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06")  # central directory, end records
_U32 = 0xFFFFFFFF


class _Summary(Protocol):
    @property
    def entries(self) -> int: ...

    @property
    def total_uncompressed(self) -> int: ...

    @property
    def cd_offset(self) -> int: ...

    @property
    def records(self) -> tuple[tuple[int, bytes, int, int, int], ...]: ...


class ZipInflater:
    """Feed every byte of the archive in order with :meth:`feed`; call :meth:`check` with the directory's summary.

    ``refuse(reason)`` makes the exception to raise (the sniffer's zip refusal); the limits are the sniffer's.
    """

    def __init__(
        self, refuse: Callable[[str], Exception], *, max_total: int, max_ratio: int, grace: int, max_entries: int
    ) -> None:
        self._refuse = refuse
        self.max_total = max_total
        self.max_ratio = max_ratio
        self.grace = grace
        self.max_entries = max_entries
        self._buffer = bytearray()
        self._pos = 0  # the archive offset of the buffer's first byte
        self.walked: list[tuple[int, bytes, int, int, int]] = []  # per entry: (offset, name, crc, csize, usize)
        self.entries_end = -1  # the archive offset where the local entries end
        self._entry: tuple[int, bytes] = (0, b"")  # the current entry's offset and name
        self._state = "header"  # header -> data -> (descriptor) -> header ... -> done
        self._stray = False  # the entries were followed by something that is no zip record
        self.entries = 0
        self.total_out = 0
        # the current entry
        self._method = 0
        self._descriptor = False
        self._declared = (0, 0, 0)  # crc, compressed, uncompressed from the local header
        self._stored_left = 0
        self._inflate: zlib._Decompress | None = None
        self._in = 0
        self._out = 0
        self._crc = 0

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if self._state == "done" or not data:
            return
        self._buffer += data
        while self._step():
            pass

    def check(self, summary: _Summary) -> None:
        """After the whole file: every entry was complete, and the central directory agrees with what was found."""
        if self._state != "done":
            raise self._refuse("archive ends inside an entry")
        if self._stray:
            raise self._refuse("data between the entries that is no zip record")
        if summary.entries != self.entries or summary.total_uncompressed != self.total_out:
            raise self._refuse("declared sizes do not match the data")
        # One to one: every directory entry is an entry the walk inflated, at the same place, with the same name and
        # sizes, and nothing lies between the last entry and the directory. A directory pointing into another
        # entry's data (a hidden bomb that was never inflated) or a walk cut short by a fake record is refused.
        if sorted(summary.records) != sorted(self.walked) or self.entries_end != summary.cd_offset:
            raise self._refuse("central directory does not match the entries")

    # -- the walk ----------------------------------------------------------------------------------------------

    def _step(self) -> bool:
        """Advance as far as the buffer allows; False when more input is needed (or the walk is done)."""
        if self._state == "header":
            return self._header()
        if self._state == "data":
            return self._stored() if self._method == 0 else self._deflated()
        if self._state == "descriptor":
            return self._data_descriptor()
        return False

    def _header(self) -> bool:
        if len(self._buffer) < 4:
            return False
        if bytes(self._buffer[:4]) != _LOCAL_SIG:
            # The entries end here. Anything but the central directory or an end record is refused by check(),
            # after the directory's own checks (which name a damaged directory more precisely).
            self._stray = bytes(self._buffer[:4]) not in _AFTER_ENTRIES
            self._state = "done"
            self.entries_end = self._pos
            self._buffer.clear()
            return False
        if len(self._buffer) < _LOCAL.size:
            return False
        _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len = _LOCAL.unpack_from(self._buffer)
        start = _LOCAL.size + name_len + extra_len
        if len(self._buffer) < start:
            return False
        self.entries += 1
        if self.entries > self.max_entries:
            raise self._refuse("too many entries")
        if flags & 0x41:
            raise self._refuse("encrypted entry")
        if method not in (0, 8):
            raise self._refuse("unusual compression method")
        self._descriptor = bool(flags & 0x08)
        if not self._descriptor and _U32 in (csize, usize):
            usize, csize = _zip64_sizes(bytes(self._buffer[_LOCAL.size + name_len : start]), usize, csize)
        if method == 0 and (self._descriptor or csize != usize):
            raise self._refuse("stored entry without reliable sizes")
        self._entry = (self._pos, bytes(self._buffer[_LOCAL.size : _LOCAL.size + name_len]))
        self._take(start)
        self._method = method
        self._declared = (crc, csize, usize)
        self._stored_left = csize
        self._inflate = zlib.decompressobj(-zlib.MAX_WBITS) if method == 8 else None
        self._in = self._out = self._crc = 0
        self._state = "data"
        return True

    def _count(self, consumed: int, out: bytes) -> None:
        self._in += consumed
        self._out += len(out)
        self.total_out += len(out)
        self._crc = zlib.crc32(out, self._crc)
        if self.total_out > self.max_total:
            raise self._refuse("too much uncompressed data")
        if self._out > self.grace and self._out > self._in * self.max_ratio:
            raise self._refuse("compression ratio too high")

    def _stored(self) -> bool:
        take = min(self._stored_left, len(self._buffer))
        if take:
            piece = bytes(self._buffer[:take])
            self._take(take)
            self._stored_left -= take
            self._count(take, piece)
        if self._stored_left:
            return False
        return self._entry_done()

    def _deflated(self) -> bool:
        inflate = self._inflate
        assert inflate is not None
        if not self._buffer:
            return False
        data = bytes(self._buffer)
        self._take(len(data))
        while True:
            try:
                out = inflate.decompress(data, OUT_STEP)
            except zlib.error:
                raise self._refuse("damaged deflate data") from None
            left = len(inflate.unconsumed_tail) + (len(inflate.unused_data) if inflate.eof else 0)
            self._count(len(data) - left, out)
            if inflate.eof:
                self._buffer[:0] = inflate.unused_data
                self._pos -= len(inflate.unused_data)  # given back: not part of this entry
                return self._entry_done()
            if not inflate.unconsumed_tail and len(out) < OUT_STEP:
                return False  # all input taken and no output held back: wait for more input
            data = inflate.unconsumed_tail

    def _take(self, n: int) -> None:
        del self._buffer[:n]
        self._pos += n

    def _entry_done(self) -> bool:
        self._inflate = None
        self.walked.append((*self._entry, self._crc, self._in, self._out))
        if self._descriptor:
            self._state = "descriptor"
            return True
        if self._declared != (self._crc, self._in, self._out):
            raise self._refuse("declared sizes do not match the data")
        self._state = "header"
        return True

    def _data_descriptor(self) -> bool:
        at = 4 if self._buffer[:4] == _DESCRIPTOR_SIG else 0
        if len(self._buffer) < at + 12:
            return False
        found = (self._crc, self._in, self._out)
        if struct.unpack_from("<3I", self._buffer, at) == found:
            self._take(at + 12)
        elif len(self._buffer) < at + 20:
            return False
        elif struct.unpack_from("<I2Q", self._buffer, at) == found:  # zip64: eight-byte sizes
            self._take(at + 20)
        else:
            raise self._refuse("declared sizes do not match the data")
        self._state = "header"
        return True


def _zip64_sizes(extra: bytes, usize: int, csize: int) -> tuple[int, int]:
    """The sizes from a local header's zip64 extra field (id 1: uncompressed, then compressed, as flagged)."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        if tag == 1:
            values = [struct.unpack_from("<Q", body, i)[0] for i in range(0, len(body) - 7, 8)]
            if usize == _U32 and values:
                usize = values.pop(0)
            if csize == _U32 and values:
                csize = values.pop(0)
            return usize, csize
        pos += 4 + size
    return usize, csize
