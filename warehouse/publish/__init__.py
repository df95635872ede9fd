"""The read-only BI copy of the warehouse, published atomically (:mod:`.publication`).

Modules: :mod:`.types` (what is published, what a publication reports), :mod:`.publication`
(the whole publication and its ``publication`` table), :mod:`.staging` (the file it is written
into), :mod:`.table_sync` (bringing a table up to date), :mod:`.comments` (descriptions BI
shows), :mod:`.parquet_versions` (the Parquet copy), :mod:`.write_log` (dates written since the
previous publication), :mod:`.files` (links, versions, leftovers), :mod:`.reflink`
(copy-on-write clones).
"""

from warehouse.publish.publication import publish
from warehouse.publish.reflink import clone_or_copy
from warehouse.publish.types import PublishedTable, PublishResult, StorageVersionError

__all__ = [
    "PublishResult",
    "PublishedTable",
    "StorageVersionError",
    "clone_or_copy",
    "publish",
]
