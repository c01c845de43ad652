"""The assignments' pages, one module per feature; each lists its own ``urlpatterns``
(``cloudlab.assignments.urls`` joins every module of this package)."""
