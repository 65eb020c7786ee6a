# English dates as a reader of a weekly expects them: 19 January 2024 (Django's own "N j, Y"
# gives "Jan. 19, 2024").
DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
DATETIME_FORMAT = "j F Y, H:i"
