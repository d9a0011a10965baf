"""The web console: a single-page application over twinhub's public API, served at `/console/`.

Its sources are in `web/console` (React, Mantine, CodeMirror, uPlot, built with Vite from the lockfile by
`make console`); the build is committed in `static/`, so installing and running twinhub needs no Node. The
console holds no privileges of its own: it signs in with the server's authentication and calls the same HTTP
API and WebSocket any client does.
"""
