"""klachtstroom reporting: projections, annual and provider reports, trend signals, open data."""
