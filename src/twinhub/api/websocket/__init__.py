"""Ditto's WebSocket, `/ws/2`: the endpoint that moves frames between a socket and its Ditto Protocol
session (`twinhub.service.session`)."""

from starlette.routing import WebSocketRoute

from twinhub.api.websocket.endpoint import endpoint

routes = [WebSocketRoute("/ws/2", endpoint)]
