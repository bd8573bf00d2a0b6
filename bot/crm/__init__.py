"""Salesforce: the client, the field mapping, the sync into the directory and the owner write-back.

Nothing here knows Slack: the caller hands in what it needs (e.g. how to find a user's Slack id).
"""
