import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precompress } from './precompress.js';

const outDir = fileURLToPath(new URL('../dist/web', import.meta.url));

/** The console builds into dist/web, which the hub serves; `npm run dev:web` proxies the API to a running hub. */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), precompress(outDir)],
  // Relative asset URLs: the hub's app shell carries a <base href> naming where it is mounted.
  base: './',
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/api': process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4680' },
  },
});
