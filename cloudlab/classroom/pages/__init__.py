"""The classroom's pages, one module per feature; each lists its own ``urlpatterns``
(``cloudlab.classroom.urls`` joins every module of this package)."""
