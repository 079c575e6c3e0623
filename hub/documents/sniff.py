"""What a file is, decided by its content: magic bytes at the start, the zip directory at the end.

Allowed: PDF, JPEG, PNG, TIFF, DOCX and ODT. Everything else is refused, whatever its name or the browser's word,
and the name's extension must match the detected type (an executable renamed ``.pdf`` fails on its content; a PNG
named ``.pdf`` fails on its name).

:meth:`ContentSniffer.feed` sees every plaintext piece once, keeps the first :data:`HEAD_SIZE` bytes to decide the
type, and, for zip-based types only, a bounded tail of :data:`TAIL_SIZE` bytes, from which
:meth:`ContentSniffer.finish` reads the central directory (offsets mapped onto the tail with ``struct``).

Zip bombs are refused on the sizes the central directory declares (more than :data:`MAX_ENTRIES` entries, more
than :data:`MAX_TOTAL_UNCOMPRESSED` bytes in total, or an entry of at least :data:`RATIO_GRACE_BYTES` that inflates
more than :data:`MAX_RATIO` times), and, because declared sizes can lie, on what the entries really inflate to:
:class:`hub.documents.inflate.ZipInflater` inflates every entry as it streams past under the same caps, and the
directory must agree with it. Encrypted entries, compression methods other than stored/deflate, multi-disk
archives and data after the directory are refused as well.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass

from hub.documents.inflate import ZipInflater

__all__ = [
    "ALLOWED_KINDS",
    "DOCX",
    "JPEG",
    "MAX_ENTRIES",
    "MAX_RATIO",
    "MAX_TOTAL_UNCOMPRESSED",
    "ODT",
    "PDF",
    "PNG",
    "TIFF",
    "ContentSniffer",
    "FileKind",
    "SniffError",
    "ZipSummary",
    "clean_filename",
    "inspect_zip_tail",
    "kind_for_content_type",
    "kind_for_filename",
]

HEAD_SIZE = 512
TAIL_SIZE = 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 1024**3  # 1 GiB
MAX_RATIO = 100
RATIO_GRACE_BYTES = 64 * 1024  # tiny entries (a few KiB of repeated XML) may compress better than 100:1
MAX_ENTRIES = 10_000
MAX_FILENAME_CHARS = 200


@dataclass(frozen=True)
class FileKind:
    key: str
    label: str
    content_type: str
    extensions: tuple[str, ...]


PDF = FileKind("pdf", "PDF", "application/pdf", (".pdf",))
JPEG = FileKind("jpeg", "JPEG", "image/jpeg", (".jpg", ".jpeg"))
PNG = FileKind("png", "PNG", "image/png", (".png",))
TIFF = FileKind("tiff", "TIFF", "image/tiff", (".tif", ".tiff"))
DOCX = FileKind("docx", "DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",))
ODT = FileKind("odt", "ODT", "application/vnd.oasis.opendocument.text", (".odt",))
ALLOWED_KINDS = (PDF, JPEG, PNG, TIFF, DOCX, ODT)
_BY_EXTENSION = {ext: kind for kind in ALLOWED_KINDS for ext in kind.extensions}
_BY_CONTENT_TYPE = {kind.content_type: kind for kind in ALLOWED_KINDS}
ACCEPT_ATTRIBUTE = ",".join(ext for kind in ALLOWED_KINDS for ext in kind.extensions)

NOT_ALLOWED = "Alleen PDF, JPEG, PNG, TIFF, DOCX en ODT zijn toegestaan."
EMPTY = "Het bestand is leeg."
SUSPICIOUS_ZIP = (
    "Dit bestand is geweigerd: het is beschadigd of uitzonderlijk sterk gecomprimeerd (mogelijk een zip-bom)."
)


class SniffError(Exception):
    """The content is not accepted. ``message`` is Dutch, for the uploader; ``reason`` is for logs and tests."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


def _mismatch(extension: str, kind: FileKind) -> SniffError:
    return SniffError(
        "extension",
        f"De naam van het bestand eindigt op {extension}, maar de inhoud is {kind.label}. "
        f"Geef het bestand de juiste extensie ({' of '.join(kind.extensions)}) en probeer het opnieuw.",
    )


# -- names -----------------------------------------------------------------------------------------------------


def clean_filename(raw: str) -> str:
    """The original name as shown later: no directories, no control characters, NFC, at most 200 characters.

    The name is only ever stored encrypted and sent back in a Content-Disposition header; it never becomes a path.
    """
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = unicodedata.normalize("NFC", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))
    name = name.strip().strip(".").strip()
    if len(name) > MAX_FILENAME_CHARS:
        ext = extension_of(name)
        ext = ext if len(ext) <= 10 else ""
        name = name[: MAX_FILENAME_CHARS - len(ext)].rstrip() + ext
    return name


def extension_of(filename: str) -> str:
    _, dot, ext = filename.rpartition(".")
    return f".{ext.lower()}" if dot else ""


def kind_for_filename(filename: str) -> FileKind:
    """The kind the name promises; SniffError when the extension is not one of the allowed ones."""
    kind = _BY_EXTENSION.get(extension_of(filename))
    if kind is None:
        raise SniffError("type", NOT_ALLOWED)
    return kind


def kind_for_content_type(content_type: str) -> FileKind | None:
    return _BY_CONTENT_TYPE.get(content_type)


# -- zip directory -------------------------------------------------------------------------------------------

_EOCD = struct.Struct("<4sHHHHIIH")  # 22 bytes
_EOCD_SIG = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sIQI")  # 20 bytes
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQHHIIQQQQ")  # 56 bytes
_ZIP64_EOCD_SIG = b"PK\x06\x06"
_CENTRAL = struct.Struct("<4s6H3I5HII")  # 46 bytes
_CENTRAL_SIG = b"PK\x01\x02"
_LOCAL = struct.Struct("<4s5H3I2H")  # 30 bytes
_LOCAL_SIG = b"PK\x03\x04"
_U16, _U32 = 0xFFFF, 0xFFFFFFFF
_MAX_COMMENT = 0xFFFF
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


@dataclass(frozen=True)
class ZipSummary:
    entries: int
    total_uncompressed: int
    first_entry: bytes  # name of the entry whose local header is at offset 0
    has_content_types: bool
    has_word_part: bool
    cd_offset: int = 0  # where the central directory starts: the local entries end exactly there
    records: tuple[tuple[int, bytes, int, int, int], ...] = ()  # per entry: (offset, name, crc, csize, usize)


def _bad(reason: str) -> SniffError:
    return SniffError(reason, SUSPICIOUS_ZIP)


def _zip64_extra(extra: bytes, usize: int, csize: int, offset: int, disk: int) -> tuple[int, int, int, int]:
    """Replace the 0xFFFF... markers by the values of the zip64 extended information extra field (id 1)."""
    pos = 0
    while pos + 4 <= len(extra):
        header_id, size = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + size]
        pos += 4 + size
        if header_id != 1:
            continue
        wanted = [(usize == _U32, 8), (csize == _U32, 8), (offset == _U32, 8), (disk == _U16, 4)]
        if sum(width for needed, width in wanted if needed) > len(body):
            raise _bad("zip64 extra field too short")
        values = []
        at = 0
        for (needed, width), current in zip(wanted, (usize, csize, offset, disk), strict=True):
            if needed:
                values.append(int.from_bytes(body[at : at + width], "little"))
                at += width
            else:
                values.append(current)
        return values[0], values[1], values[2], values[3]
    raise _bad("zip64 sizes without a zip64 extra field")


def inspect_zip_tail(
    tail: bytes | bytearray | memoryview,
    total_size: int,
    *,
    max_entries: int = MAX_ENTRIES,
    max_total: int = MAX_TOTAL_UNCOMPRESSED,
    max_ratio: int = MAX_RATIO,
) -> ZipSummary:
    """Check a zip archive from its last bytes: ``tail`` holds bytes ``[total_size - len(tail), total_size)``.

    Raises :class:`SniffError` for anything malformed or bomb-like, and when the central directory does not fit
    in the tail.
    """
    view = memoryview(tail)
    base = total_size - len(view)
    if base < 0:
        raise ValueError("tail longer than the file")
    # The end-of-central-directory record ends the file exactly (its comment included): no data may follow it.
    lowest = max(0, len(view) - _EOCD.size - _MAX_COMMENT)
    data = bytes(view[lowest:])  # at most 64 KiB + 22 bytes
    eocd = -1
    at = len(data) - _EOCD.size
    while at >= 0:
        at = data.rfind(_EOCD_SIG, 0, at + len(_EOCD_SIG))
        if at < 0:
            break
        comment_len = _EOCD.unpack_from(data, at)[7]
        if at + _EOCD.size + comment_len == len(data):
            eocd = lowest + at
            break
        at -= 1
    if eocd < 0:
        raise _bad("no end-of-central-directory record at the end")
    _, disk, cd_disk, entries_here, entries, cd_size, cd_offset, _ = _EOCD.unpack_from(view, eocd)
    cd_end = base + eocd
    locator = eocd - _ZIP64_LOCATOR.size
    has_locator = locator >= 0 and bytes(view[locator : locator + 4]) == _ZIP64_LOCATOR_SIG
    if has_locator or _U16 in (entries_here, entries) or _U32 in (cd_size, cd_offset):
        # Zip64: the real counts and offsets are in the zip64 end record, found through the locator (some writers
        # add them even when the classic record's fields would have been large enough).
        if locator < 0:
            raise _bad("zip64 locator outside the tail")
        sig, z_disk, z_offset, disks = _ZIP64_LOCATOR.unpack_from(view, locator)
        if sig != _ZIP64_LOCATOR_SIG or z_disk != 0 or disks != 1:
            raise _bad("bad zip64 locator")
        record = z_offset - base
        if record < 0 or record + _ZIP64_EOCD.size > locator:
            raise _bad("zip64 record outside the tail")
        (sig, _, _, _, disk, cd_disk, entries_here, entries, cd_size, cd_offset) = _ZIP64_EOCD.unpack_from(view, record)
        if sig != _ZIP64_EOCD_SIG:
            raise _bad("bad zip64 record")
        cd_end = z_offset
    if disk != 0 or cd_disk != 0 or entries_here != entries:
        raise _bad("multi-disk archive")
    if entries > max_entries:
        raise _bad("too many entries")
    if cd_offset + cd_size != cd_end:
        raise _bad("central directory does not end where the end record starts")
    if cd_offset < base:
        raise _bad("central directory does not fit in the tail")
    pos = cd_offset - base
    end = cd_end - base
    total = 0
    first_entry = b""
    has_content_types = has_word_part = False
    records: list[tuple[int, bytes, int, int, int]] = []
    for _ in range(entries):
        if pos + _CENTRAL.size > end:
            raise _bad("central directory truncated")
        (sig, _, _, flags, method, _, _, crc, csize, usize, name_len, extra_len, comment_len, disk_start, _, _,
         offset) = _CENTRAL.unpack_from(view, pos)  # fmt: skip
        if sig != _CENTRAL_SIG:
            raise _bad("bad central directory entry")
        name_at = pos + _CENTRAL.size
        extra_at = name_at + name_len
        pos = extra_at + extra_len + comment_len
        if pos > end:
            raise _bad("central directory entry runs past the directory")
        name = bytes(view[name_at:extra_at])
        if _U32 in (usize, csize, offset) or disk_start == _U16:
            usize, csize, offset, disk_start = _zip64_extra(
                bytes(view[extra_at : extra_at + extra_len]), usize, csize, offset, disk_start
            )
        if flags & 0x41:
            raise _bad("encrypted entry")
        if method not in (0, 8):
            raise _bad("unusual compression method")
        if disk_start != 0 or offset >= cd_offset:
            raise _bad("entry outside the archive")
        if method == 0 and usize != csize:
            raise _bad("stored entry with two sizes")
        if usize >= RATIO_GRACE_BYTES and usize > csize * max_ratio:
            raise _bad("compression ratio too high")
        records.append((offset, name, crc, csize, usize))
        total += usize
        if total > max_total:
            raise _bad("too much uncompressed data")
        if offset == 0:
            first_entry = name
        if name == b"[Content_Types].xml":
            has_content_types = True
        elif name.startswith(b"word/"):
            has_word_part = True
    if pos != end:
        raise _bad("data between the central directory and its end record")
    return ZipSummary(entries, total, first_entry, has_content_types, has_word_part, cd_offset, tuple(records))


# -- the streaming sniffer -----------------------------------------------------------------------------------


class ContentSniffer:
    """Decides the kind of one file while it streams past.

    ``expected`` is the kind the file name promises (see :func:`kind_for_filename`); the content must agree.
    ``feed`` raises :class:`SniffError` as soon as the first bytes rule the file out, ``finish`` returns the
    kind or raises.
    """

    def __init__(self, expected: FileKind, extension: str = "", *, tail_size: int = TAIL_SIZE) -> None:
        self.expected = expected
        self.extension = extension or expected.extensions[0]
        self.tail_size = tail_size
        self.size = 0
        self._head = bytearray()
        self._family: str | None = None  # pdf, jpeg, png, tiff, zip, odt (a zip whose first entry says so)
        self._tail = bytearray()
        self._inflater = ZipInflater(
            _bad,
            max_total=MAX_TOTAL_UNCOMPRESSED,
            max_ratio=MAX_RATIO,
            grace=RATIO_GRACE_BYTES,
            max_entries=MAX_ENTRIES,
        )

    @property
    def inflating(self) -> bool:
        """The file is an archive whose entries are being inflated: feeding it is CPU work, not for the event loop."""
        return self._family in ("zip", "odt")

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        self.size += len(data)
        if self._family is None:
            take = HEAD_SIZE - len(self._head)
            self._head += data[:take]
            if len(self._head) < HEAD_SIZE:
                return
            self._decide()
            if self._family in ("zip", "odt"):
                self._keep_tail(self._head)
                self._keep_tail(data[take:])
            return
        if self._family in ("zip", "odt"):
            self._keep_tail(data)

    def _keep_tail(self, data: bytes | bytearray | memoryview) -> None:
        """Every byte of a zip passes here once, in order: kept in the bounded tail, and inflated under caps."""
        if not data:
            return
        self._inflater.feed(data)
        self._tail += data
        if len(self._tail) > 2 * self.tail_size:  # trim now and then, not on every piece
            del self._tail[: len(self._tail) - self.tail_size]

    def _decide(self) -> None:
        head = bytes(self._head)
        if head.startswith(b"%PDF-"):
            family, kind = "pdf", PDF
        elif head.startswith(b"\xff\xd8\xff"):
            family, kind = "jpeg", JPEG
        elif head.startswith(b"\x89PNG\r\n\x1a\n"):
            family, kind = "png", PNG
        elif head.startswith((b"II*\x00", b"MM\x00*")):
            family, kind = "tiff", TIFF
        elif head.startswith(_LOCAL_SIG):
            family = "odt" if _first_entry_is_odt_mimetype(head) else "zip"
            kind = ODT if family == "odt" else DOCX
            if self.expected not in (DOCX, ODT):
                raise _mismatch(self.extension, kind)
            if family == "odt" and self.expected is DOCX:
                raise _mismatch(self.extension, ODT)
            if family == "zip" and self.expected is ODT:
                raise SniffError("type", NOT_ALLOWED)  # a .odt without the ODF mimetype entry
        else:
            raise SniffError("type", NOT_ALLOWED)
        if family not in ("zip", "odt") and kind is not self.expected:
            raise _mismatch(self.extension, kind)
        self._family = family

    def finish(self) -> FileKind:
        """The kind of the complete file; SniffError if it is not accepted."""
        if self.size == 0:
            raise SniffError("empty", EMPTY)
        if self._family is None:  # a file smaller than the head
            self._decide()
            if self._family in ("zip", "odt"):
                self._keep_tail(self._head)
        family = self._family
        if family == "pdf":
            return PDF
        if family == "jpeg":
            return JPEG
        if family == "png":
            return PNG
        if family == "tiff":
            return TIFF
        summary = inspect_zip_tail(self._tail, self.size)
        self._inflater.check(summary)
        if family == "odt":
            if summary.first_entry != b"mimetype":
                raise _bad("ODF mimetype is not the first entry")
            return ODT
        if summary.has_content_types and summary.has_word_part:
            return DOCX
        raise SniffError("type", NOT_ALLOWED)


def _first_entry_is_odt_mimetype(head: bytes) -> bool:
    """ODF: the first local entry is ``mimetype``, stored uncompressed, holding the media type."""
    if len(head) < _LOCAL.size:
        return False
    _, _, flags, method, _, _, _, csize, usize, name_len, extra_len = _LOCAL.unpack_from(head)
    name = head[_LOCAL.size : _LOCAL.size + name_len]
    if name != b"mimetype" or method != 0 or flags & 0x08 or csize != usize:
        return False
    start = _LOCAL.size + name_len + extra_len
    return head[start : start + usize] == ODT_MIMETYPE
