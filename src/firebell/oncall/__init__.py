"""On-call schedules: rotations, layers, overrides, and who is on call."""
