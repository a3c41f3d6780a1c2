"""Response mechanisms: presets over composable settings, queue disciplines, coordination.

- `presets.py`: the five response processes of the study's ladder, as commented data;
- `disciplines.py`: how the operators' inbox orders its queue, one registered function each;
- `coordination.py`: how departments share a multi-department item, one class each.

This package is a leaf: reading its registries imports nothing else of the model, so
the scenario schema can list their names without an import cycle.
"""

from simulation.mechanisms.presets import (
    MECHANISM_PRESETS,
    PRESET_CHANGES,
    PROCESS_SETTINGS,
    MechanismName,
)

__all__ = ["MECHANISM_PRESETS", "PRESET_CHANGES", "PROCESS_SETTINGS", "MechanismName"]
