"""Web Push for the residents' web door: the deployment's VAPID keys (keys.py) and the ``web``
channel's delivery (sender.py), which turns an outbox row meant for a web contact into a short
notification that opens the ticket page."""
