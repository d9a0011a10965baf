"""Ditto's WebSocket, `/ws/2`: the endpoint, its sessions, and what each kind of message does."""

from starlette.routing import WebSocketRoute

from twinhub.api.websocket.endpoint import endpoint

routes = [WebSocketRoute("/ws/2", endpoint)]
