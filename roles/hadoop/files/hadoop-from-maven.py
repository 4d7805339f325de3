#!/usr/bin/env python3
"""Assemble an Apache Hadoop binary distribution from Maven artifacts.

The Apache binary tarball is not always reachable, but every Hadoop module is
published to Maven repositories.  This script resolves the modules a cluster
needs with ``mvn dependency:copy-dependencies`` and lays them out like the
official tarball::

    hadoop-<version>/
      etc/hadoop/                      (empty; the role renders the config)
      share/hadoop/common/*.jar, lib/
      share/hadoop/hdfs/*.jar, lib/, webapps/
      share/hadoop/yarn/*.jar, lib/
      share/hadoop/mapreduce/*.jar
      share/hadoop/httpfs/*.jar, lib/  (HttpFS: see HTTPFS below)

Each third-party jar is kept once: a component's lib/ only holds what is not
already in an earlier component (common, hdfs, yarn, mapreduce order, which is
also the classpath order).  The result is packed as
``<dest>/hadoop-<version>.tar.gz``.  If that file exists nothing is done.

There are no bin/, sbin/, libexec/ scripts and no native libraries: daemons
are started with ``java -cp <classpath> <MainClass>`` (see ../README.md).

Standard library only; runs on the Ansible controller.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

PROG = "hadoop-from-maven"
GROUP = "org.apache.hadoop"

# Components in classpath order: (name, artifacts to list, prefix of the
# artifactIds that go into share/hadoop/<name>/ rather than its lib/).
# An artifact is "artifactId" or "artifactId:classifier" in org.apache.hadoop,
# or "groupId/artifactId" (version from hadoop-project's dependencyManagement).
# Server poms mark hadoop-common and hadoop-hdfs-client as "provided", so they
# are listed wherever they are needed at run time.  hadoop-project's managed
# hadoop-common excludes the slf4j binding (meant for client applications),
# so it is listed too, as the tarball ships it in common/lib.
COMPONENTS: list[tuple[str, list[str], tuple[str, ...]]] = [
    ("common", ["hadoop-common", "org.slf4j/slf4j-reload4j"], ("hadoop-common",)),
    (
        "hdfs",
        ["hadoop-common", "hadoop-hdfs", "hadoop-hdfs-client", "hadoop-hdfs:tests"],
        ("hadoop-hdfs",),
    ),
    (
        "yarn",
        [
            "hadoop-common",
            "hadoop-hdfs-client",
            "hadoop-yarn-client",
            "hadoop-yarn-server-resourcemanager",
            "hadoop-yarn-server-timelineservice",  # provided, but the RM web app needs it
            "hadoop-yarn-server-nodemanager",
            "hadoop-yarn-server-applicationhistoryservice",
            "hadoop-yarn-server-web-proxy",
        ],
        ("hadoop-yarn",),
    ),
    (
        "mapreduce",
        [
            "hadoop-common",
            "hadoop-hdfs-client",
            "hadoop-mapreduce-client-core",
            "hadoop-mapreduce-client-common",
            "hadoop-mapreduce-client-app",
            "hadoop-mapreduce-client-jobclient",
            # The tarball's test jobs (SleepJob: hadoop org.apache.hadoop.mapreduce.SleepJob).
            "hadoop-mapreduce-client-jobclient:tests",
            "hadoop-mapreduce-client-hs",
            "hadoop-mapreduce-client-shuffle",
        ],
        ("hadoop-mapreduce",),
    ),
]

# Only used for its webapps/ directory (NameNode, DataNode, JournalNode UIs).
WEBAPPS_JAR = ("hadoop-hdfs", "tests")

# hadoop-mapreduce-examples (pi, wordcount, ...) is not published for every
# release: the newest on Maven Central is 3.4.2 (no 3.4.0, 3.4.1, 3.5.0).  Its
# classes only use the public MapReduce API, so an older jar is taken, without
# its transitive dependencies, into share/hadoop/mapreduce/.
EXAMPLES = "hadoop-mapreduce-examples"
EXAMPLES_VERSION = {"3.4.0": "3.4.2", "3.4.1": "3.4.2", "3.5.0": "3.4.2"}

# HttpFS (hadoop-hdfs-httpfs) is not published for 3.5.0 either; 3.4.2 is, and runs on
# 3.5.0's hadoop-common and hadoop-hdfs-client. It still serves its REST API with Jersey 1,
# which 3.5.0 (Jersey 2) no longer ships, so it gets a directory of its own that only the
# HttpFS daemon's classpath names, ahead of the rest: share/hadoop/httpfs/ holds its jar and
# lib/ the jars it needs that the other components lack: Jersey 1 (its servlet came with
# hadoop-common before 3.5.0) and json-simple. No other Hadoop artifact of the older
# release is taken. Their versions are those the older release's hadoop-project names.
# The Apache tarball ships its own release's HttpFS in share/hadoop/hdfs/ instead.
HTTPFS = "hadoop-hdfs-httpfs"
HTTPFS_VERSION = {"3.5.0": "3.4.2"}
HTTPFS_NEEDS = [
    "com.sun.jersey/jersey-core",
    "com.sun.jersey/jersey-server",
    "com.sun.jersey/jersey-servlet",
    "com.googlecode.json-simple/json-simple",
]

PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
HELPFUL_ERROR = (
    r"Could not|Non-resolvable|Failed to|not found|Cannot|Unknown|Unresolveable"
)
VERSION_RE = re.compile(r"[0-9][0-9A-Za-z.+-]*")


class Failure(Exception):
    """An error reported to the user as one line."""


def pom_module(component: str, artifacts: list[str], examples: str | None) -> str:
    deps = []
    for spec in artifacts:
        if "/" in spec:  # another group: version managed by hadoop-project
            group, artifact = spec.split("/")
            deps.append(
                f"    <dependency><groupId>{escape(group)}</groupId>"
                f"<artifactId>{escape(artifact)}</artifactId></dependency>"
            )
            continue
        artifact, _, classifier = spec.partition(":")
        extra = f"<classifier>{escape(classifier)}</classifier>" if classifier else ""
        deps.append(
            f"    <dependency><groupId>{GROUP}</groupId>"
            f"<artifactId>{escape(artifact)}</artifactId>"
            f"<version>${{hadoop.version}}</version>{extra}</dependency>"
        )
    if examples:
        deps.append(
            f"    <dependency><groupId>{GROUP}</groupId><artifactId>{EXAMPLES}</artifactId>"
            f"<version>{escape(examples)}</version><exclusions><exclusion>"
            "<groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>"
            "</dependency>"
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <parent>
    <groupId>local.hadoop-from-maven</groupId>
    <artifactId>assembly</artifactId>
    <version>1</version>
  </parent>
  <artifactId>{component}</artifactId>
  <packaging>pom</packaging>
  <dependencies>
{chr(10).join(deps)}
  </dependencies>
</project>
"""


def pom_httpfs(version: str) -> str:
    """HttpFS at VERSION with the jars it needs beyond the other components (HTTPFS).

    Not a child of the assembly: its versions come from its own release's hadoop-project.
    """
    none = "<exclusions><exclusion><groupId>*</groupId><artifactId>*</artifactId></exclusion></exclusions>"
    deps = [
        f"    <dependency><groupId>{GROUP}</groupId><artifactId>{HTTPFS}</artifactId>"
        f"<version>{escape(version)}</version>{none}</dependency>"
    ]
    for spec in HTTPFS_NEEDS:
        group, artifact = spec.split("/")
        # json-simple's pom lists junit as a run-time dependency.
        junit = (
            "<exclusions><exclusion><groupId>junit</groupId><artifactId>junit</artifactId>"
            "</exclusion></exclusions>"
        )
        deps.append(
            f"    <dependency><groupId>{escape(group)}</groupId><artifactId>{escape(artifact)}"
            f"</artifactId>{junit if artifact == 'json-simple' else ''}</dependency>"
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.hadoop-from-maven</groupId>
  <artifactId>httpfs</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>{GROUP}</groupId>
        <artifactId>hadoop-project</artifactId>
        <version>{escape(version)}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
{chr(10).join(deps)}
  </dependencies>
</project>
"""


def pom_parent(version: str, components: list[str]) -> str:
    modules = "\n".join(f"    <module>{c}</module>" for c in components)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project>
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.hadoop-from-maven</groupId>
  <artifactId>assembly</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <properties>
    <hadoop.version>{escape(version)}</hadoop.version>
  </properties>
  <modules>
{modules}
  </modules>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>{GROUP}</groupId>
        <artifactId>hadoop-project</artifactId>
        <version>${{hadoop.version}}</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
</project>
"""


def settings_xml(url: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<settings>
  <mirrors>
    <mirror>
      <id>hadoop-from-maven</id>
      <mirrorOf>*</mirrorOf>
      <url>{escape(url)}</url>
    </mirror>
  </mirrors>
</settings>
"""


def run_maven(args: argparse.Namespace, mvn: str, work: Path) -> None:
    names = [c[0] for c in COMPONENTS]
    (work / "pom.xml").write_text(pom_parent(args.version, names + ["httpfs"]))
    for name, artifacts, _ in COMPONENTS:
        (work / name).mkdir()
        examples = args.examples_version if name == "mapreduce" else None
        (work / name / "pom.xml").write_text(pom_module(name, artifacts, examples))
    (work / "httpfs").mkdir()
    (work / "httpfs" / "pom.xml").write_text(pom_httpfs(args.httpfs_version))
    # -U: retry artifacts a previous failed run cached as missing; -C: verify checksums
    cmd = [
        mvn,
        "-B",
        "-q",
        "-U",
        "-C",
        "-Dstyle.color=never",
        "-f",
        str(work / "pom.xml"),
    ]
    if args.maven_repo:
        (work / "settings.xml").write_text(settings_xml(args.maven_repo))
        cmd += ["-s", str(work / "settings.xml")]
    if args.local_repo:
        cmd.append(f"-Dmaven.repo.local={args.local_repo}")
    cmd += [
        f"{PLUGIN}:copy-dependencies",
        "-DincludeScope=runtime",
        "-Dmdep.useRepositoryLayout=true",
        "-DoutputDirectory=${project.basedir}/deps",
    ]
    log = work / "mvn.log"
    with log.open("wb") as out:
        rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=work)
    if rc != 0:
        text = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text(errors="replace"))
        errors = [
            re.sub(r"^(\[(?:ERROR|FATAL)\]\s*)+|\s*-> \[Help \d+\]$", "", line)
            for line in re.findall(r"^\[(?:ERROR|FATAL)\]\s+\S.*$", text, re.MULTILINE)
        ]
        useful = [e for e in errors if re.search(HELPFUL_ERROR, e)]
        reason = (useful or errors or [f"mvn exited with {rc}"])[0]
        raise Failure(
            f"Maven could not resolve Hadoop {args.version}: {reason[:400]}"
            f" (full log: {log})"
        )


def artifacts_in(deps: Path):
    """Yield (groupId, artifactId, version, classifier, path) from a repository layout."""
    for jar in sorted(deps.rglob("*.jar")):
        parts = jar.relative_to(deps).parts
        group, artifact, version = ".".join(parts[:-3]), parts[-3], parts[-2]
        stem = jar.name[: -len(".jar")]
        base = f"{artifact}-{version}"
        classifier = stem[len(base) + 1 :] if stem.startswith(base + "-") else ""
        yield group, artifact, version, classifier, jar


def assemble(version: str, work: Path, home: Path) -> list[str]:
    share = home / "share" / "hadoop"
    (home / "etc" / "hadoop").mkdir(parents=True)
    placed: dict[tuple[str, str, str], str] = {}
    names: set[str] = set()
    conflicts: list[str] = []
    for name, _, own_prefixes in COMPONENTS + [("httpfs", [], (HTTPFS,))]:
        for group, artifact, ver, classifier, jar in artifacts_in(work / name / "deps"):
            if group == GROUP and (artifact, classifier) == WEBAPPS_JAR:
                with zipfile.ZipFile(jar) as zf:
                    members = [m for m in zf.namelist() if m.startswith("webapps/")]
                    zf.extractall(share / name, members)
                continue
            key = (group, artifact, classifier)
            if key in placed:
                if placed[key] != ver:
                    conflicts.append(
                        f"{group}:{artifact} {placed[key]} (kept) vs {ver} ({name})"
                    )
                continue
            own = group == GROUP and artifact.startswith(own_prefixes)
            target = share / name if own else share / name / "lib"
            filename = jar.name if jar.name not in names else f"{group}.{jar.name}"
            target.mkdir(parents=True, exist_ok=True)
            os.replace(jar, target / filename)
            placed[key] = ver
            names.add(filename)
    if not list((share / "httpfs").glob(f"{HTTPFS}-*.jar")):
        raise Failure(f"no {GROUP}:{HTTPFS} jar was resolved")
    if not any((share / "hdfs" / "webapps").glob("*")):
        raise Failure(f"no webapps/ found in {GROUP}:hadoop-hdfs:{version}:tests")
    return conflicts


def write_tarball(home: Path, tarball: Path) -> None:
    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        info.mode = 0o755 if info.isdir() else 0o644
        return info

    partial = tarball.with_name(tarball.name + ".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(home, arcname=home.name, filter=normalise)
    os.replace(partial, tarball)


def tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--version", required=True, help="Hadoop version, e.g. 3.5.0")
    parser.add_argument("--dest", required=True, type=Path, help="output directory")
    parser.add_argument(
        "--maven-repo", metavar="URL", help="remote repository (mirror of everything)"
    )
    parser.add_argument("--mvn", default="mvn", help="mvn executable (default: mvn)")
    parser.add_argument(
        "--local-repo",
        metavar="DIR",
        help="Maven local repository (default: Maven's own, ~/.m2/repository)",
    )
    parser.add_argument(
        "--examples-version",
        metavar="VERSION",
        help=f"version of {EXAMPLES} to include (default: --version, or the"
        " newest published release when --version has none)",
    )
    parser.add_argument(
        "--httpfs-version",
        metavar="VERSION",
        help=f"version of {HTTPFS} to include (default: --version, or the newest"
        " published release when --version has none)",
    )
    args = parser.parse_args(argv)
    for value in (args.version, args.examples_version or "0", args.httpfs_version or "0"):
        if not VERSION_RE.fullmatch(value):
            parser.error(f"not a Maven version: {value!r}")
    if not args.examples_version:
        args.examples_version = EXAMPLES_VERSION.get(args.version, args.version)
    if not args.httpfs_version:
        args.httpfs_version = HTTPFS_VERSION.get(args.version, args.version)

    dest: Path = args.dest.resolve()
    home = dest / f"hadoop-{args.version}"
    tarball = dest / f"hadoop-{args.version}.tar.gz"
    if tarball.exists():
        print(f"{PROG}: {tarball} exists, nothing to do")
        return 0

    mvn = shutil.which(args.mvn)
    if mvn is None:
        print(
            f"{PROG}: error: mvn not found ({args.mvn!r}): install Maven (and a JDK)"
            " or pass --mvn PATH",
            file=sys.stderr,
        )
        return 1

    started = time.monotonic()
    work = dest / f".hadoop-{args.version}-build"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        for stale in (work, home):
            if stale.exists():
                shutil.rmtree(stale)
        work.mkdir()
        run_maven(args, mvn, work)
        conflicts = assemble(args.version, work, home)
        write_tarball(home, tarball)
    except Failure as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    for conflict in conflicts:
        print(
            f"{PROG}: warning: version conflict {conflict}", file=sys.stderr, flush=True
        )
    print(
        f"{PROG}: wrote {tarball} ({tarball.stat().st_size / 2**20:.0f} MiB; tree"
        f" {tree_size(home) / 2**20:.0f} MiB) in {time.monotonic() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
