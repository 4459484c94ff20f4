"""The providers that ship with Oasis, each a pluggy plugin like any third party's."""
