"""The HTTP API: query routes over the projections and command routes into the store.

`create_app(ApiServices(...))` builds the FastAPI application; the composition root in
`attune.infra` supplies the services.
"""
