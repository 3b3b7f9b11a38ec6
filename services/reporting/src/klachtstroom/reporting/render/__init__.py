"""The reports as HTML, CSV and PDF, all drawn from the same layout-neutral sections (`html.py`)."""
