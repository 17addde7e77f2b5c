"""Names and numbers that several modules share (a leaf module: it imports nothing from the package)."""

# Verdicts of an indicator and of a goal area, as the report writes them.
MET, PARTLY, NOT_MET, UNKNOWN = "uppfyllt", "delvis uppfyllt", "ej uppfyllt", "kan ej bedömas"
VERDICTS = (MET, PARTLY, NOT_MET, UNKNOWN)
SYMBOLS = {MET: "✔", PARTLY: "◐", NOT_MET: "✘", UNKNOWN: "?"}

# Direction of travel.
BETTER, SAME, WORSE = "bättre", "oförändrad", "sämre"

TREND_YEARS = 10  # a trend chart shows up to this many years, ending with the report year

# The book: the overview's page and the folder of the executed notebooks (relative to the book root).
OVERVIEW = "oversikt"
CHAPTER_DIR = "chapters"
FIGURE_DIR = "figures"  # relative to an executed notebook
TABLE_DIR = "tables"  # relative to an executed notebook

EXAMPLE_NOTE = "Exempeldata – inte officiell statistik"
