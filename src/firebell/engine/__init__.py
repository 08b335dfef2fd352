"""Background work: timers kept in the database, run by `firebell serve` in-process."""
