# "2026年11月23日" and "2026年11月23日 08:56", as Chinese dates are written
# (not "23 十一月 2026", which "j M Y" gives with Chinese month names).
DATE_FORMAT = "Y年n月j日"
DATETIME_FORMAT = "Y年n月j日 H:i"
