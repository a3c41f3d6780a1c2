"""`python -m simulation.viz [SCENARIO] [--port P]`: serve the interactive page locally."""

from simulation.viz.cli import main

raise SystemExit(main())
