"""Letters to the complainant: composed from editable Jinja2 templates (`compose`, shipped ones in
`templates/`) and rendered as HTML or PDF (`render`)."""
