"""Participant node: business-logic engine, transaction protocol, stores and Ledger API."""
