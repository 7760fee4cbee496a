"""Allow `python -m insightly_connector`."""

from insightly_connector.cli import main

raise SystemExit(main())
