import sys

from controllers.cli.main import main

sys.exit(main())
