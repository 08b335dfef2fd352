"""The web console: server-rendered pages for people in a browser (shell layer: no domain imports it)."""
