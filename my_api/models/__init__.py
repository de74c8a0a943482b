from . import api_resource, ir_http, res_users, res_users_apikeys
