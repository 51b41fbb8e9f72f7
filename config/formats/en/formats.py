# Dates in tables and messages stay in ISO 8601 order in English, as the
# portal has always shown them. Django's other English formats apply as they are.
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
