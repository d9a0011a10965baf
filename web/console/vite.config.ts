// The console is served by twinhub under /console/ (src/twinhub/console): assets are hashed, so the server
// caches them for good, and the page itself is never cached.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: "../../src/twinhub/console/static",
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev` beside `twinhub serve --dev` on 8080: the API, WebSocket and SSE go to it.
    proxy: { "/api": "http://127.0.0.1:8080", "/ws": { target: "ws://127.0.0.1:8080", ws: true } },
  },
});
