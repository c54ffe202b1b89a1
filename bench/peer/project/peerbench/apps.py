from django.apps import AppConfig
from django.conf import settings


class PeerBenchConfig(AppConfig):
    name = "peerbench"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        if settings.PEER_PATCH:
            from peerbench import patch

            patch.apply()
