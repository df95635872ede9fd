"""The sections of the report page, one module per subject."""
