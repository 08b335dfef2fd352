"""Notifications: getting a page, an update or a resolution in front of a person or a system."""
