"""Reading an `.npz` someone else made (a dataset, a model file) without trusting it: no pickle, the
expected arrays only, a bound on the unpacked size, and every array header checked before any data is
allocated. One reader for both callers; each says in its own words what went wrong."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .config import SsnnError


@dataclass(frozen=True)
class Wording:
    """A caller's messages: each makes the error to raise (the caller's SsnnError class, called with its
    English template as a literal, so that the dashboard can translate it)."""

    contents: Callable[[list], SsnnError]        # sorted member names found -> error
    too_big: Callable[[], SsnnError]
    missing: Callable[[], SsnnError]
    not_zip: Callable[[], SsnnError]
    pickled: Callable[[], SsnnError]
    malformed: Callable[[str], SsnnError]        # the reason (the ValueError's text) -> error
    unreadable: Callable[[str, str], SsnnError]  # the exception's class name, its text -> error


def _as(error: type, exc: SsnnError) -> SsnnError:
    """`exc` (its template and values) as an instance of the caller's error class."""
    return error(exc.template, **exc.params)


def check_npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, error: type, where: str) -> None:
    """Read one member's .npy header and refuse object arrays, or a shape bigger than the member's
    declared size (np.load would allocate the whole shape before reading a byte of data)."""
    try:
        with zf.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    except Exception as exc:  # noqa: BLE001 - a damaged header raises ValueError, SyntaxError, TokenError, zlib.error...
        raise _as(error, SsnnError("{where}: {member} is not a readable array ({cls})", where=where,
                                   member=info.filename, cls=exc.__class__.__name__)) from None
    if dtype.hasobject:
        raise _as(error, SsnnError("{where}: holds object (pickled) arrays; refusing to load them", where=where))
    if int(np.prod(shape, dtype=object)) * dtype.itemsize > info.file_size:
        raise _as(error, SsnnError("{where}: {member} declares shape {shape}, more data than it holds", where=where,
                                   member=info.filename, shape=shape))


def read_npz(source, names, max_bytes: int, error: type, where: str, say: Wording) -> dict:
    """The arrays `names` of the .npz at `source` (a path or a binary file object), exactly those, as
    contiguous arrays; anything else raises `error` with the caller's wording."""
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            found = sorted(i.filename for i in infos)
            if sorted(f"{n}.npy" for n in names) != found:
                raise say.contents(found)
            if sum(i.file_size for i in infos) > max_bytes:
                raise say.too_big()
            for info in infos:
                check_npy_header(zf, info, error, where)
        if hasattr(source, "seek"):
            source.seek(0)
        with np.load(source, allow_pickle=False) as npz:
            return {k: np.asarray(npz[k], order="C") for k in names}
    except error:
        raise
    except FileNotFoundError:
        raise say.missing() from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile):
        raise say.not_zip() from None
    except ValueError as exc:  # object arrays (pickle) and malformed .npy headers land here
        raise (say.pickled() if "pickle" in str(exc) else say.malformed(str(exc))) from None
    except (OSError, EOFError, RuntimeError, zlib.error) as exc:
        raise say.unreadable(exc.__class__.__name__, str(exc)) from None
