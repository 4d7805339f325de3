"""The hadoop-deploy command line: parse arguments and hand each verb to its module."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .image import ImageError, ensure_image


def _cmd_image_build(args: argparse.Namespace) -> int:
    try:
        result = ensure_image(force=args.force)
    except ImageError as exc:
        print(f"hadoop-deploy: {exc}", file=sys.stderr)
        return 1
    what = "built" if result.built else "reused"
    print(f"{what} {result.ref} in {result.seconds:.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hadoop-deploy",
        description="Turn a set of Debian hosts into a working, verified Apache Hadoop cluster.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    image = verbs.add_parser("image", help="build the sandbox host image (cached by recipe hash)")
    image_verbs = image.add_subparsers(dest="image_verb", metavar="ACTION")
    image_verbs.required = True
    build = image_verbs.add_parser("build", help="build the image unless the current recipe's exists")
    build.add_argument("--force", action="store_true", help="rebuild even if the image exists")
    build.set_defaults(func=_cmd_image_build)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
