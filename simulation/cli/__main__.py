"""`python -m simulation.cli …`, the same as the `microgov` command."""

from simulation.cli import main

raise SystemExit(main())
