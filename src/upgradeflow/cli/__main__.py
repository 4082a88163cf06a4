import sys

from upgradeflow.cli.main import main

sys.exit(main())
