#!/usr/bin/env python3
"""core.echo: print the `message` parameter (parameters arrive as one JSON object on stdin)."""

import json
import sys

print(json.load(sys.stdin)["message"])
