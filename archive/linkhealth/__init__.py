"""The link checker: every link visited politely, and a gone link told from a bad day
(manage.py check_links)."""
