"""``python -m generators.schemas [add TYPE MODULE:MODEL]``: write the contract's schema files."""

import argparse
import logging

from generators.schemas import add_schema, write_schemas

parser = argparse.ArgumentParser(prog="python -m generators.schemas", description=__doc__)
commands = parser.add_subparsers(dest="command")
add = commands.add_parser("add", help="write the schema of a new result type")
add.add_argument("result_type", help="the payload type, e.g. savings_plan")
add.add_argument("model", help="its data's pydantic model, e.g. generators.savings:SavingsPlan")
args = parser.parse_args()

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("generators.schemas")
paths = [add_schema(args.result_type, args.model)] if args.command == "add" else write_schemas()
for path in paths:
    log.info("wrote %s", path)
