"""What every chaindomain node shares: canonical encoding, hashing, signing and
encryption, identifiers, wire messages and the on-chain batch format.

This package imports no other chaindomain component.
"""
