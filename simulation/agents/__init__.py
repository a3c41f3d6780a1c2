"""The agents: citizens, operators and departments, and how staff choose."""
