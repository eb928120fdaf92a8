// Builds the dashboard into dashboard/dist, which the API serves at /. `npm run dev:dashboard` serves it with
// hot reload and proxies the API (SPILLWAY_API_URL, default http://localhost:8080).
import { defineConfig } from 'vite';

const root = decodeURIComponent(new URL('.', import.meta.url).pathname);
const api = globalThis.process?.env.SPILLWAY_API_URL ?? 'http://localhost:8080';

export default defineConfig({
  root,
  base: '/',
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 4096,
    reportCompressedSize: true,
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: true },
      '/samples': { target: api, changeOrigin: true },
      '/docs': { target: api, changeOrigin: true },
    },
  },
});
