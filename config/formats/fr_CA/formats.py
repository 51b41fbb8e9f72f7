# Dates with the month abbreviated in words, as in "4 déc. 2026": Django's
# fr_CA short formats use ISO 8601 order, which reads as a code in French text.
# N is Django's abbreviated month name, translated by its own catalog.
SHORT_DATE_FORMAT = "j N Y"
SHORT_DATETIME_FORMAT = "j N Y, H:i"
