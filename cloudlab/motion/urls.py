"""Each view module of the section lists its own routes; this joins them under one namespace."""

from . import deployment, replay, tracker

app_name = "motion"

urlpatterns = [*deployment.urlpatterns, *replay.urlpatterns, *tracker.urlpatterns]
