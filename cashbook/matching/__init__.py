"""Matching: passes that propose allocations of receipts to open items, each with rule and evidence."""
