"""CSV cells that a spreadsheet will not run as formulas.

Excel, LibreOffice and Google Sheets treat a cell starting with = + - @ (and a tab or carriage
return before one of them) as a formula: an organization renamed `=HYPERLINK(...)` would run in
the spreadsheet of whoever opens another district's export. Following OWASP's advice on CSV
injection, such a text cell is prefixed with a single quote, which the spreadsheet shows as text.
Every CSV the portal writes goes through `safe_row`."""

# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The value as written to a CSV cell: text starting like a formula gets a leading quote.
    Numbers, dates and None pass unchanged (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values):
    """A row for csv.writer with every text cell made safe."""
    return [safe_cell(value) for value in values]
