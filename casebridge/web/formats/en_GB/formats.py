# "23 Nov 2026" and "23 Nov 2026, 08:56": day first, a 24-hour clock.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
