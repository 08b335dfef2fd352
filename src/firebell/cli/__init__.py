"""The `firebell` command: admin commands talk to the store, responder commands to the API."""
