"""`python -m simulation.validation [--out DIR] [--smoke]`: regenerate the validation report."""

from simulation.validation.cli import main

raise SystemExit(main())
