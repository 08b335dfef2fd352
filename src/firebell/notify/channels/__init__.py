"""Delivery channels. Each one turns a `Message` into a `Delivery` verdict and never raises for delivery problems."""

from firebell.notify.channels.base import Channel, Delivery, Links, Message

__all__ = ["Channel", "Delivery", "Links", "Message"]
