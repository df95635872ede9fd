"""Copy a file as a copy-on-write clone where the file system can (XFS, Btrfs), else in full."""

from __future__ import annotations

import shutil
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no ioctl, files are always copied
    fcntl = None  # type: ignore[assignment]

# Linux's FICLONE ioctl (linux/fs.h): make a file share another file's blocks, copy-on-write.
FICLONE = 0x40049409


def clone_or_copy(source: Path, target: Path) -> bool:
    """Copy ``source`` to ``target`` as a copy-on-write clone if the file system can, else byte by
    byte; True if cloned.

    A clone (Linux FICLONE: XFS, Btrfs, and other file systems with reflinks) shares the source's
    blocks until either file writes them, so it takes no time and no space whatever the size.
    Any refusal (ext4, tmpfs, another system, different file systems) falls back to a copy, which
    reports its own errors.
    """
    if fcntl is not None:
        try:
            with open(source, "rb") as src, open(target, "wb") as dst:
                fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
            return True
        except OSError:
            pass
    shutil.copyfile(source, target)
    return False
