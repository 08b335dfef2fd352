"""The timeline's typed catalogue: event kinds (kinds.py), their payload schemas and sentences
(incident.py, paging.py), and reading any stored event back as a sentence (catalogue.py).

Pure: only the standard library. incidents/timeline.py is the one writer of the table."""
