"""The system parameters of my_oauth_provider (`my_oauth_provider.<name>`):
the one place that says how each is read, its default and its bounds (see
my_api/lib/settings.py for what the columns mean). Read one with
`setting(env, name)`.
"""

from odoo.addons.my_api.public import Setting, Settings

SETTINGS = Settings(
    "my_oauth_provider",
    # the longest lifetime of an API key minted or rotated here, in days
    # (lowered to what the user's groups allow: see res.users.apikeys)
    Setting("max_key_days", "digits", 90, minimum=1, out_of_bounds="default"),
    # days a rotated key keeps working next to its successor
    Setting("rotation_grace_days", "digits", 7),
    # live API keys a user may have (a key in its grace period counts)
    Setting("max_keys_per_user", "digits", 5, minimum=1, out_of_bounds="default"),
    # days a family of refresh tokens can be refreshed, from its first token
    Setting("refresh_family_days", "digits", 90, minimum=1, out_of_bounds="default", strip=True),
)

setting = SETTINGS.get  # setting(env, name): the current value
