"""Cashbook: a cash-allocation workbench for accounts-receivable teams."""

__version__ = "0.1.0"
