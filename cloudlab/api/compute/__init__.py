"""Nova's compute API v2.1 subset (microversions, servers, flavors, actions, hypervisors, ...)."""
