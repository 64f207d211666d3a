from kaggle_kit.cli import main

raise SystemExit(main())
