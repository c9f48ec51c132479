"""The HTTP service (`segql serve`, SPEC §6.2): FastAPI over the store's SDK — every handler is one SDK
call; auth (API keys with scopes, one organization per key), the JSON error shape, and the playground."""
