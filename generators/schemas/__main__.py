"""``python -m generators.schemas``: regenerate the committed JSON schema files."""

import logging

from generators.schemas import write_schemas

logging.basicConfig(level=logging.INFO)
for path in write_schemas():
    logging.getLogger("generators.schemas").info("wrote %s", path)
