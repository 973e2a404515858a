"""The engine: everything between the command line and the pure layers (states, calendars,
letters). The CLI enters only through engine/api.py; the rooms are cases/ (a case's life),
store/ (storage), notify/ (deadline warnings) and legal/ (the legal office). The map is at the
top of docs/design.md."""
