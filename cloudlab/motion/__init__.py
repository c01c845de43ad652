"""OpenStack in motion (issue 15): the deployment view and the flow of an operation, drawn from
the cloud itself. Pages only: the flow table is the engine's (``cloudlab.engine.flow``)."""
