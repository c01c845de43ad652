"""The compute API (a Nova v2.1 subset) over CloudLab's simulated cloud: what the real
``openstack`` CLI and openstacksdk call (/work/shared/reference/openstack-api-subset.md), on the
same actions, quota, lifecycle gate and scheduler as the dashboard."""
