"""One module a tool, each a management command's ``Command`` run by ``manage.py bench``."""
