from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data of `make run` (``manage.py seed_demo``): it builds on every app, so it sits
    above them all."""

    name = "demo"
    verbose_name = "Demo data"
