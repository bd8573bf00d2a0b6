"""Whether a use-case gave up because the database stayed locked past the request's deadline.

The Slack surface answers "not recorded, try again" then; the test itself belongs to storage (both dialects'
lock and statement time-outs), and this is the one name handlers know it by."""

from storage.db import Busy, is_lock_timeout

__all__ = ["Busy", "is_lock_timeout"]
