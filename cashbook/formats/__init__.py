"""File formats: parsers that turn bytes into typed rows and problems, never touching the database."""
