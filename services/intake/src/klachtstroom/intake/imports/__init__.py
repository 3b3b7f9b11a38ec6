"""Bulk import of an existing complaint register: reading the file, its vocabulary, the import job."""
