"""The hadoop-deploy command line: parse arguments and hand each verb to its module."""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .errors import UserError
from .image import ImageError, ensure_image, ensure_vm_image

EPILOG = """\
exit codes: 0 success; 1 bad input or a missing prerequisite (nothing was run);
otherwise Ansible's own code (2 a task failed, 4 a host was unreachable);
status: 3 when the cluster answered but is not healthy.

start here: hadoop-deploy up   (a whole cluster of containers on this machine)
"""


def _cmd_image_build(args: argparse.Namespace) -> int:
    try:
        result = (ensure_vm_image if args.vm else ensure_image)(force=args.force)
    except ImageError as exc:
        print(f"hadoop-deploy: {exc}", file=sys.stderr)
        return 1
    what = "built" if result.built else "reused"
    print(f"{what} {result.ref} in {result.seconds:.1f} s")
    return 0


def _cmd_inventory_check(args: argparse.Namespace) -> int:
    from . import deploy

    path = deploy.existing_inventory(args.inventory)
    inventory = deploy.check_inventory(path, deploy.parse_extra_vars(args.extra_vars))
    return 0 if inventory is not None else 1


def _cmd_apply(args: argparse.Namespace) -> int:
    from . import deploy

    plan = args.verb == "plan"
    return deploy.run_site(
        deploy.existing_inventory(args.inventory),
        check=plan or args.check,
        diff=plan or args.diff,
        limit=args.limit,
        tags=args.tags,
        extra_vars=deploy.parse_extra_vars(args.extra_vars),
        plan=plan,
    )


def _cmd_day2(args: argparse.Namespace) -> int:
    from . import deploy

    return deploy.run_day2(
        args.verb,
        deploy.existing_inventory(args.inventory),
        hosts=getattr(args, "hosts", None),
        services=getattr(args, "service", None),
        limit=getattr(args, "limit", None),
        extra_vars=deploy.parse_extra_vars(args.extra_vars),
    )


def _cmd_status(args: argparse.Namespace) -> int:
    from . import deploy, status

    return status.status(deploy.existing_inventory(args.inventory), as_json=args.json, limit=args.limit)


def _cmd_exec(args: argparse.Namespace) -> int:
    from . import deploy, execute

    return execute.execute(deploy.existing_inventory(args.inventory), args.command, limit=args.limit)


def _cmd_ui(args: argparse.Namespace) -> int:
    from . import deploy, tunnel

    return tunnel.ui(deploy.existing_inventory(args.inventory))


def _cmd_up(args: argparse.Namespace) -> int:
    from . import sandbox

    return sandbox.up(args.workers, args.connection, clients=args.clients)


def _cmd_down(args: argparse.Namespace) -> int:
    from . import sandbox

    if args.purge and not args.yes:
        if not sys.stdin.isatty():
            raise UserError("--purge deletes the sandbox's HDFS data and needs confirmation", "add --yes to confirm")
        answer = input(f"Delete the sandbox {sandbox.NAME} and all its data? Type 'yes': ")
        if answer.strip() != "yes":
            print("Nothing removed.")
            return 1
    return sandbox.down(args.purge)


def _inventory_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inventory", metavar="INVENTORY", help="an inventory file or directory (for example inventory/prod)")


def _extra_vars_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-e", "--extra-vars", dest="extra_vars", action="append", metavar="KEY=VALUE", help="set a variable (repeatable); a string, or any type as JSON: '{\"name\": true}'"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hadoop-deploy",
        description="Turn a set of Debian hosts into a working, verified Apache Hadoop cluster.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True

    apply = verbs.add_parser("apply", help="check the inventory, then bring every host to the state it describes")
    _inventory_arg(apply)
    apply.add_argument("--check", action="store_true", help="only report what would change")
    apply.add_argument("--diff", action="store_true", help="show the changes to files")
    apply.add_argument("--limit", metavar="HOSTS", help="only these hosts or groups (an Ansible pattern)")
    apply.add_argument("--tags", metavar="TAGS", help="only the tasks with these tags (comma-separated)")
    _extra_vars_arg(apply)
    apply.set_defaults(func=_cmd_apply)

    plan = verbs.add_parser("plan", help="show what apply would change, changing nothing (check and diff mode)")
    _inventory_arg(plan)
    plan.add_argument("--limit", metavar="HOSTS", help="only these hosts or groups (an Ansible pattern)")
    _extra_vars_arg(plan)
    plan.set_defaults(func=_cmd_apply, tags=None, check=True, diff=True)

    inventory = verbs.add_parser("inventory", help="work with inventories")
    inventory_verbs = inventory.add_subparsers(dest="inventory_verb", metavar="ACTION")
    inventory_verbs.required = True
    check = inventory_verbs.add_parser("check", help="check an inventory's rules without contacting any host")
    _inventory_arg(check)
    _extra_vars_arg(check)
    check.set_defaults(func=_cmd_inventory_check)

    restart = verbs.add_parser(
        "restart", help="a rolling restart: the master's daemons, then the workers one at a time, each gated")
    _inventory_arg(restart)
    restart.add_argument("--service", action="append", metavar="NAME",
                         help="only this daemon (namenode, datanode, resourcemanager, nodemanager, jobhistoryserver,"
                         " httpfs; repeatable)")
    restart.add_argument("--limit", metavar="HOSTS", help="only these hosts or groups (an Ansible pattern)")
    _extra_vars_arg(restart)
    restart.set_defaults(func=_cmd_day2)

    for verb, text in (("decommission", "move the workers' blocks and containers away, then stop their daemons"),
                       ("recommission", "put decommissioned workers back in service")):
        day2 = verbs.add_parser(verb, help=text)
        _inventory_arg(day2)
        day2.add_argument("hosts", nargs="+", metavar="HOST", help="a worker of the inventory")
        _extra_vars_arg(day2)
        day2.set_defaults(func=_cmd_day2)

    status = verbs.add_parser("status", help="each node's Hadoop services and the cluster's health")
    _inventory_arg(status)
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.add_argument("--limit", metavar="HOSTS", help="only these hosts or groups")
    status.set_defaults(func=_cmd_status)

    run = verbs.add_parser(
        "exec", help="run a shell command on the nodes and show each node's output and exit code",
        usage="hadoop-deploy exec INVENTORY [--limit HOSTS] -- COMMAND...",
    )
    _inventory_arg(run)
    run.add_argument("--limit", metavar="HOSTS", help="only these hosts or groups (default: all)")
    # The command is everything after `--` (split off in main, so that argparse never reads it).
    run.set_defaults(func=_cmd_exec, command=[])

    web = verbs.add_parser("ui", help="the web UIs through an SSH tunnel to the master; prints local URLs")
    _inventory_arg(web)
    web.set_defaults(func=_cmd_ui)

    up = verbs.add_parser("up", help="start a sandbox cluster of containers on this machine and deploy Hadoop on it")
    up.add_argument("--workers", type=int, default=2, metavar="N", help="number of worker nodes (default 2)")
    up.add_argument("--clients", type=int, default=0, metavar="N",
                    help="number of client (edge) nodes: Hadoop's commands and configuration, no daemons (default 0)")
    up.add_argument("--connection", default="ssh", metavar="KIND",
                    help="how Ansible reaches the hosts: ssh (default: as a non-root account with sudo, the "
                         "workers through the master, as real hosts are reached) or docker (docker exec as root)")
    up.set_defaults(func=_cmd_up)

    down = verbs.add_parser("down", help="remove the sandbox's hosts and networks (its data is kept)")
    down.add_argument("--purge", action="store_true", help="also delete the sandbox's data volumes")
    down.add_argument("--yes", action="store_true", help="confirm --purge without asking")
    down.set_defaults(func=_cmd_down)

    image = verbs.add_parser("image", help="build the sandbox host image or the VM image (cached by recipe hash)")
    image_verbs = image.add_subparsers(dest="image_verb", metavar="ACTION")
    image_verbs.required = True
    build = image_verbs.add_parser("build", help="build the image unless the current recipe's exists")
    build.add_argument("--force", action="store_true", help="rebuild even if the image exists")
    build.add_argument("--vm", action="store_true",
                       help="the VM image (qcow2 disk and kernel) the NFS scenario boots with qemu, instead")
    build.set_defaults(func=_cmd_image_build)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if argv[:1] == ["exec"] and "--" in argv:
        cut = argv.index("--")
        argv, command = argv[:cut], argv[cut + 1 :]
    args = parser.parse_args(argv)
    if args.verb == "exec":
        args.command = command
    try:
        return int(args.func(args))
    except UserError as exc:
        print(f"hadoop-deploy: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nhadoop-deploy: interrupted; the hosts may be half-way through a change: run the same command again", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
