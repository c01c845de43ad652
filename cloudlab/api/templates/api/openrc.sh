{% load i18n %}{% autoescape off %}#!/usr/bin/env bash
# {% translate "To use an OpenStack cloud you need to authenticate against the Identity service named keystone, which returns a token and a service catalog. The catalog contains the endpoints for all services the user/project has access to (here: compute, image and identity)." %}
# {% translate "Source this file in your shell (source ./openrc.sh), type your password when asked, then run openstack commands." %}
export OS_AUTH_URL={{ sh.auth_url }}
# {% translate "The project id names this project unambiguously (project names may repeat across clouds)." %}
export OS_PROJECT_ID={{ sh.project_id }}
export OS_PROJECT_NAME={{ sh.project_name }}
export OS_USER_DOMAIN_NAME={{ sh.user_domain_name }}
export OS_PROJECT_DOMAIN_ID={{ sh.project_domain_id }}
# {% translate "Unset the v2.0 items in case they are set." %}
unset OS_TENANT_ID
unset OS_TENANT_NAME
unset OS_CLOUD
export OS_USERNAME={{ sh.username }}
# {% translate "Your login password or your API password (set on the API Access page)." %}
echo "{% translate 'Please enter your OpenStack password for project $OS_PROJECT_NAME as user $OS_USERNAME:' %} "
read -sr OS_PASSWORD_INPUT
export OS_PASSWORD=$OS_PASSWORD_INPUT
unset OS_PASSWORD_INPUT
export OS_REGION_NAME={{ sh.region }}
export OS_INTERFACE=public
export OS_IDENTITY_API_VERSION=3
{% endautoescape %}
