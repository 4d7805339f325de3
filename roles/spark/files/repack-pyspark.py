#!/usr/bin/env python3
"""Repack the pyspark sdist into a SPARK_HOME tarball: deps/{bin,sbin,jars} -> {bin,sbin,jars},
lib/*.zip -> python/lib, deps/examples -> examples/src/main/python.

usage: repack-pyspark.py SDIST DEST TOPDIR"""

import os
import sys
import tarfile

MAP = (("deps/bin", "bin"), ("deps/sbin", "sbin"), ("deps/jars", "jars"), ("lib", "python/lib"),
       ("deps/examples", "examples/src/main/python"))


def main(sdist: str, dest: str, top: str) -> None:
    tmp = dest + ".part"
    with tarfile.open(sdist, "r:gz") as src, tarfile.open(tmp, "w:gz", compresslevel=1) as out:
        for member in src:
            parts = member.name.split("/", 1)
            if len(parts) < 2:
                continue
            rel = parts[1]
            for old, new in MAP:
                if rel == old or rel.startswith(old + "/"):
                    if old == "lib" and not rel.endswith(".zip"):
                        break
                    member.name = f"{top}/{new}{rel[len(old):]}"
                    member.uid = member.gid = 0
                    member.uname = member.gname = "root"
                    if old in ("deps/bin", "deps/sbin") and member.isfile():
                        member.mode |= 0o755
                    out.addfile(member, src.extractfile(member) if member.isfile() else None)
                    break
    os.replace(tmp, dest)


if __name__ == "__main__":
    main(*sys.argv[1:4])
