"""What reporting publishes (Woo): only configured names, no small cells, no identifiable text."""
