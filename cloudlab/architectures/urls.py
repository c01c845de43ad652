"""Each view module of the section lists its own routes; this joins them under one namespace."""

from . import experiment, internals, stacks

app_name = "architectures"

urlpatterns = [*stacks.urlpatterns, *experiment.urlpatterns, *internals.urlpatterns]
