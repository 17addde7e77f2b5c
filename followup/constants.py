"""Names and numbers that several modules share (a leaf module: it imports nothing from the package)."""

# Verdicts of an indicator and of a goal area, as the report writes them.
MET, PARTLY, NOT_MET, UNKNOWN = "uppfyllt", "delvis uppfyllt", "ej uppfyllt", "kan ej bedömas"
VERDICTS = (MET, PARTLY, NOT_MET, UNKNOWN)
# A cumulative target judged before the plan period's last year is judged on its pace: these verdicts count
# as their class (PACE_CLASS) in a goal area's roll-up, but every count shown to readers keeps them apart.
ON_PACE, PARTLY_ON_PACE, OFF_PACE = "i fas", "delvis i fas", "ej i fas"
PACE_VERDICTS = (ON_PACE, PARTLY_ON_PACE, OFF_PACE)
PACE_CLASS = {ON_PACE: MET, PARTLY_ON_PACE: PARTLY, OFF_PACE: NOT_MET}
ALL_VERDICTS = VERDICTS + PACE_VERDICTS
SYMBOLS = {MET: "✔", PARTLY: "◐", NOT_MET: "✘", UNKNOWN: "?", ON_PACE: "↗", PARTLY_ON_PACE: "→", OFF_PACE: "↘"}

# Direction of travel.
BETTER, SAME, WORSE = "bättre", "oförändrad", "sämre"

TREND_YEARS = 10  # a trend chart shows up to this many years, ending with the report year

# The book: the overview's page and the folder of the executed notebooks (relative to the book root).
OVERVIEW = "oversikt"
CHAPTER_DIR = "chapters"
FIGURE_DIR = "figures"  # relative to an executed notebook
TABLE_DIR = "tables"  # relative to an executed notebook

NOT_DELIVERED = "ej levererat"  # the status of a local value its supplier has not delivered yet

EXAMPLE_NOTE = "Exempeldata – inte officiell statistik"
DEFAULT_BASE_URL = "https://api.kolada.se/v3"  # the Kolada API (make fetch; $KOLADA_BASE_URL overrides it)
