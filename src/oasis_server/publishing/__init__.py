"""Getting videos out: connected accounts, scheduled posts, the scheduler and automations.

* :mod:`.platforms`: which publisher serves a platform, built with the server's settings.
* :mod:`.accounts`: a stored account ↔ the domain's :class:`~oasis_core.domain.publishing.SocialAccount`.
* :mod:`.oauth_state`: the sealed, expiring OAuth ``state`` (bound to a user, holds the PKCE verifier).
* :mod:`.posts`: the post rows' compare-and-set moves (claim, renew, finish, retry, fail, recover).
* :mod:`.publish_job`: publishing one claimed post (what the Dramatiq actor runs).
* :mod:`.automations`: cron schedules and the runs they make.
* :mod:`.scheduler`: the loop that claims due posts, recovers stale ones and starts automation runs.
"""
