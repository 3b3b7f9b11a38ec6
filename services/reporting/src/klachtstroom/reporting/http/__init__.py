"""HTTP routes and pages of reporting: the Reporting API, the coordinator's dashboard, the caller's scope."""
