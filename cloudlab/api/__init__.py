"""The OpenStack-compatible REST API, served at the server root as DevStack does: ``/identity``
(Keystone v3 subset), ``/compute`` (Nova v2.1, in ``compute/``) and ``/image`` (Glance v2), so
the real ``openstack`` CLI and openstacksdk drive the simulated cloud through the same actions
the pages use."""
