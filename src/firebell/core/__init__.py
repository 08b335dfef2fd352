"""Pure decisions: no I/O, no clock reads. Every function takes what it needs, `now` included."""
