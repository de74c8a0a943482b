# The official Odoo 19 image plus the Python packages the addons need and
# Odoo does not bring: oauthlib for my_oauth_provider's authorization server
# (the distribution's package, the version pinned in requirements-test.txt).
FROM odoo:19
USER root
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3-oauthlib \
    && rm -rf /var/lib/apt/lists/*
USER odoo
