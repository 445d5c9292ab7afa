"""Test set-up shared by every test module: a private data directory and the three personas."""

import os
import tempfile

os.environ.setdefault("PCRA_DATA_DIR", tempfile.mkdtemp(prefix="pcra-test-"))

pytest_plugins = ["pcra.core.testing"]
