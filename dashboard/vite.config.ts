import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The dashboard is served by the API process under /dashboard/ (src/api), so every asset URL carries that
 * base. The build is self-contained: no CDN, no web font, nothing fetched at run time, and no inline
 * script, so the pages can run under a Content-Security-Policy of `default-src 'self'`.
 */
export default defineConfig({
  root,
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Everything as files: a data: URL would need its own CSP source.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    // `vite` for local work on the pages: the API (npm run dev, port 3000) answers /v1 on the same origin.
    proxy: { '/v1': 'http://127.0.0.1:3000' },
    fs: { allow: ['..'] },
  },
});
