"""The complainant's rights over their data (AVG) and its end (Selectielijst gemeenten):
requests for access, rectification of contact details, retention across every service."""
