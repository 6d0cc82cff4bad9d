from emissions.cli.main import main

raise SystemExit(main())
