"""The workbench pages: one short file per page, layout and calls into cashbook."""
