import sys

from emissions.cli.main import main

sys.exit(main())
