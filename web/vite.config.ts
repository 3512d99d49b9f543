// Vite builds the UI into dist/, which the zhuchao binary serves beside the GraphQL API.
import { defineConfig } from "vite";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 400 },
  server: { proxy: { "/graphql": { target: "http://127.0.0.1:8080", ws: true }, "/files": "http://127.0.0.1:8080" } },
});
