"""Alerting: delivery channels (outbox, webhook, SMTP; channels.py), the Airflow notifier that
delivers a run's change alerts (notifiers.py) and the failure callbacks (callbacks.py).
May import warehouse and common."""
