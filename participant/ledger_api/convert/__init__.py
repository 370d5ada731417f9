"""Conversion between the Ledger API protobufs and the backend's values.

``values.py``: ledger values both ways; ``requests.py``: validating incoming requests
into backend values (every failure an :class:`~..errors.InvalidArgumentError` naming the
field); ``responses.py``: backend values into response messages.
"""
