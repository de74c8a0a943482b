from . import (
    api_idempotency_key,
    api_key_usage,
    api_rate_counter,
    api_rate_limit,
    api_request_log,
    api_resource,
    api_resource_aggregate,
    base,
    ir_http,
    res_config_settings,
    res_users,
    res_users_apikeys,
)
