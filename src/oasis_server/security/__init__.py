"""Passwords, tokens, encrypted secrets and login throttling."""
