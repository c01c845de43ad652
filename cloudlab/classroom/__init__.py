"""Live class sessions: an instructor runs one shared cloud, the class joins with a code
(``sessions`` is the API, ``live`` the session's stream; see docs/live-sessions.md)."""
