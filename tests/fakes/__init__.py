"""Local stand-ins for the cloud APIs the providers call, served on 127.0.0.1 only."""
