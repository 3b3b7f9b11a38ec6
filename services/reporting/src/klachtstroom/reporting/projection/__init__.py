"""The projection: every event a report needs, logged without free text, folded into one row per complaint."""
